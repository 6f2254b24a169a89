import { registered, reset } from "./mocks";

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { FlaskApp, FlaskAppArgs, FlaskAppArgsError, resolveSettings } from "../components";

const base: FlaskAppArgs = { image: { repository: "localhost:5000/flask-app" } };
const k8sBase: FlaskAppArgs = { ...base, target: "kubernetes" };

/** Asserts that `args` is refused with exactly `message` for component "web", and nothing is created. */
function rejects(args: FlaskAppArgs, message: string): void {
    reset();
    assert.throws(
        () => new FlaskApp("web", args),
        (err: unknown) => {
            assert.ok(err instanceof FlaskAppArgsError);
            assert.strictEqual(err.message, `FlaskApp "web": ${message}`);
            return true;
        },
    );
    assert.deepStrictEqual(registered, [], "nothing was registered");
}

describe("FlaskApp settings", () => {
    it("applies the documented defaults", () => {
        const settings = resolveSettings("web", base);
        assert.deepStrictEqual(
            { ...settings, kubernetes: { ...settings.kubernetes } },
            {
                name: "web",
                target: "docker",
                appPath: "app",
                appName: "flask-app",
                image: {
                    repository: "localhost:5000/flask-app",
                    tag: "latest",
                    platform: "linux/amd64",
                    buildArgs: {},
                },
                registry: { server: "localhost:5000", username: undefined, password: undefined },
                containerPort: 8000,
                workers: 2,
                requestTimeoutSeconds: 30,
                healthPath: "/healthz",
                resources: {
                    cpuRequest: "100m",
                    cpuLimit: "500m",
                    memoryRequest: "128Mi",
                    memoryLimit: "256Mi",
                },
                env: {},
                secretEnv: {},
                docker: {
                    hostAddress: "127.0.0.1",
                    hostPort: 8080,
                    restartPolicy: "unless-stopped",
                    healthyTimeoutSeconds: 60,
                },
                kubernetes: {
                    namespace: "default",
                    createNamespace: false,
                    replicas: 2,
                    serviceType: "ClusterIP",
                    servicePort: 80,
                    awaitTimeoutSeconds: 300,
                    nodeSelector: {},
                    tolerations: [],
                },
            },
        );
    });

    it("keeps a default when a setting is passed as undefined", () => {
        const settings = resolveSettings("web", { ...base, docker: { hostPort: undefined } });
        assert.strictEqual(settings.docker.hostPort, 8080);
    });

    it("takes Docker Hub as the registry of a repository without a host", () => {
        const settings = resolveSettings("web", { image: { repository: "acme/web" } });
        assert.strictEqual(settings.registry.server, "docker.io");
        assert.strictEqual(settings.image.repository, "acme/web");
    });

    describe("refuses, before creating anything,", () => {
        it("an unknown target", () =>
            rejects(
                { ...base, target: "nomad" as "docker" },
                '`target` must be one of "docker", "kubernetes"; got "nomad"',
            ));

        it("a container port out of range", () =>
            rejects(
                { ...base, containerPort: 0 },
                "`containerPort` must be an integer from 1 to 65535; got 0",
            ));

        it("a host port out of range", () =>
            rejects(
                { ...base, docker: { hostPort: 70000 } },
                "`docker.hostPort` must be an integer from 1 to 65535; got 70000",
            ));

        it("a fractional service port", () =>
            rejects(
                { ...k8sBase, kubernetes: { servicePort: 80.5 } },
                "`kubernetes.servicePort` must be an integer from 1 to 65535; got 80.5",
            ));

        it("a negative replica count", () =>
            rejects(
                { ...k8sBase, kubernetes: { replicas: -3 } },
                "`kubernetes.replicas` must be an integer of at least 1; got -3",
            ));

        it("zero replicas", () =>
            rejects(
                { ...k8sBase, kubernetes: { replicas: 0 } },
                "`kubernetes.replicas` must be an integer of at least 1; got 0",
            ));

        it("a CPU amount that is not a quantity", () =>
            rejects(
                { ...k8sBase, resources: { cpuLimit: "half" } },
                '`resources.cpuLimit` must be a positive Kubernetes CPU quantity such as "250m" or "1"; got "half"',
            ));

        it("a memory amount that is not a quantity", () =>
            rejects(
                { ...k8sBase, resources: { memoryRequest: "128MB" } },
                '`resources.memoryRequest` must be a positive Kubernetes memory quantity such as "128Mi" or "1Gi"; got "128MB"',
            ));

        it("a memory amount in millibytes", () =>
            rejects(
                { ...k8sBase, resources: { memoryLimit: "512m" } },
                '`resources.memoryLimit` must be a positive Kubernetes memory quantity such as "128Mi" or "1Gi"; got "512m"',
            ));

        it("a CPU limit below its request", () =>
            rejects(
                { ...k8sBase, resources: { cpuRequest: "1", cpuLimit: "500m" } },
                '`resources.cpuLimit` must not be below `resources.cpuRequest` ("1"); got "500m"',
            ));

        it("a memory limit below its request", () =>
            rejects(
                { ...k8sBase, resources: { memoryRequest: "1Gi", memoryLimit: "512Mi" } },
                '`resources.memoryLimit` must not be below `resources.memoryRequest` ("1Gi"); got "512Mi"',
            ));

        it("a memory limit Docker cannot enforce", () =>
            rejects(
                { ...base, resources: { memoryRequest: "1Mi", memoryLimit: "4Mi" } },
                '`resources.memoryLimit` must be at least "6Mi" on the docker target; got "4Mi"',
            ));

        it("an image repository with a tag", () =>
            rejects(
                { image: { repository: "localhost:5000/flask-app:v1" } },
                '`image.repository` must be an image repository without tag or digest, such as "localhost:5000/flask-app" or "ghcr.io/acme/web"; got "localhost:5000/flask-app:v1"',
            ));

        it("an image repository with uppercase letters", () =>
            rejects(
                { image: { repository: "ghcr.io/Acme/Web" } },
                '`image.repository` must be an image repository without tag or digest, such as "localhost:5000/flask-app" or "ghcr.io/acme/web"; got "ghcr.io/Acme/Web"',
            ));

        it("an invalid tag", () =>
            rejects(
                { image: { repository: "localhost:5000/app", tag: "-v1" } },
                '`image.tag` must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"; got "-v1"',
            ));

        it("an invalid platform", () =>
            rejects(
                { image: { repository: "localhost:5000/app", platform: "amd64" } },
                '`image.platform` must be "os/arch" or "os/arch/variant", such as "linux/amd64"; got "amd64"',
            ));

        it("a registry server that differs from the repository's", () =>
            rejects(
                { ...base, registry: { server: "ghcr.io" } },
                '`registry.server` must match the registry in `image.repository` ("localhost:5000"); got "ghcr.io"',
            ));

        it("a password without a username", () =>
            rejects(
                { ...base, registry: { password: "hunter2" } },
                "`registry.password` needs `registry.username`; got a password and no username",
            ));

        it("a username without a password", () =>
            rejects(
                { ...base, registry: { username: "ci" } },
                '`registry.username` needs `registry.password`; got username "ci" and no password',
            ));

        it("an app folder without a Dockerfile", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskapp-"));
            rejects(
                { ...base, appPath: dir },
                `\`appPath\` must be a folder holding a Dockerfile; got ${JSON.stringify(dir)}, which has none`,
            );
        });

        it("an app folder that does not exist", () =>
            rejects(
                { ...base, appPath: "no/such/folder" },
                '`appPath` must be a folder holding a Dockerfile; got "no/such/folder", which is not a folder',
            ));

        it("a host address that is not an IP address", () =>
            rejects(
                { ...base, docker: { hostAddress: "localhost" } },
                '`docker.hostAddress` must be an IPv4 or IPv6 address such as "127.0.0.1"; got "localhost"',
            ));

        it("an unknown restart policy", () =>
            rejects(
                { ...base, docker: { restartPolicy: "sometimes" as "always" } },
                '`docker.restartPolicy` must be one of "no", "on-failure", "always", "unless-stopped"; got "sometimes"',
            ));

        it("an unknown Service type", () =>
            rejects(
                { ...k8sBase, kubernetes: { serviceType: "Ingress" as "NodePort" } },
                '`kubernetes.serviceType` must be one of "ClusterIP", "NodePort", "LoadBalancer"; got "Ingress"',
            ));

        it("a node port on a ClusterIP Service", () =>
            rejects(
                { ...k8sBase, kubernetes: { nodePort: 30080 } },
                '`kubernetes.nodePort` needs `kubernetes.serviceType` "NodePort" or "LoadBalancer"; got "ClusterIP"',
            ));

        it("a namespace that is not a DNS label", () =>
            rejects(
                { ...k8sBase, kubernetes: { namespace: "My_Apps" } },
                '`kubernetes.namespace` must be a DNS label (lowercase letters, digits and "-", at most 63); got "My_Apps"',
            ));

        it("an environment variable the component sets itself", () =>
            rejects(
                { ...base, env: { PORT: "9000" } },
                "`env` must not set PORT: the component sets it from `containerPort`",
            ));

        it("an environment variable set both plainly and secretly", () =>
            rejects(
                { ...base, env: { TOKEN: "a" }, secretEnv: { TOKEN: "b" } },
                "`env` and `secretEnv` must not both set TOKEN",
            ));

        it("an invalid environment variable name", () =>
            rejects(
                { ...base, secretEnv: { "API-KEY": "x" } },
                '`secretEnv` names must be letters, digits and "_", not starting with a digit; got "API-KEY"',
            ));

        it("a health path that is not a path", () =>
            rejects(
                { ...base, healthPath: "healthz" },
                '`healthPath` must be a URL path starting with "/"; got "healthz"',
            ));

        it("a component name that is not a DNS label, on Kubernetes", () => {
            reset();
            assert.throws(() => new FlaskApp("Web_App", k8sBase), {
                message:
                    'FlaskApp "Web_App": the component name must be a DNS label (lowercase letters, digits and "-", at most 63) on the kubernetes target; got "Web_App"',
            });
            assert.deepStrictEqual(registered, []);
        });
    });

    it("names every bad setting at once", () => {
        assert.throws(
            () =>
                resolveSettings("web", {
                    ...k8sBase,
                    containerPort: -1,
                    kubernetes: { replicas: 0 },
                }),
            {
                message:
                    'FlaskApp "web" has 2 invalid settings:\n' +
                    "  - `containerPort` must be an integer from 1 to 65535; got -1\n" +
                    "  - `kubernetes.replicas` must be an integer of at least 1; got 0",
            },
        );
    });

    it("ignores the settings of the target it does not deploy to", () => {
        assert.doesNotThrow(() => resolveSettings("web", { ...base, kubernetes: { replicas: 0 } }));
        assert.doesNotThrow(() => resolveSettings("web", { ...k8sBase, docker: { hostPort: 0 } }));
    });
});
