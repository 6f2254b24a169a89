import { children, isSecretInput, one, promiseOf, reset, reveal, registered } from "./mocks";

import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

import { FlaskApp, FlaskAppArgs } from "../components";

const IMAGE = "docker:index/image:Image";
const CONTAINER = "docker:index/container:Container";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const SECRET = "kubernetes:core/v1:Secret";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";

const labels = {
    "app.kubernetes.io/name": "flask-app",
    "app.kubernetes.io/instance": "web",
    "app.kubernetes.io/component": "web",
    "app.kubernetes.io/managed-by": "pulumi",
};
const selector = { "app.kubernetes.io/name": "flask-app", "app.kubernetes.io/instance": "web" };

/** Creates a FlaskApp and waits until every child is registered. */
async function deploy(
    args: FlaskAppArgs,
    name = "web",
    opts?: pulumi.ComponentResourceOptions,
): Promise<FlaskApp> {
    const app = new FlaskApp(name, args, opts);
    await promiseOf(pulumi.all([app.imageRef, app.url, app.externalUrl, app.resourceNames]));
    return app;
}

const base: FlaskAppArgs = { image: { repository: "localhost:5000/flask-app" } };

describe("FlaskApp", () => {
    beforeEach(reset);

    describe("image", () => {
        it("builds the bundled app for linux/amd64 and pushes it to the repository", async () => {
            await deploy(base);
            const image = one(IMAGE).inputs;
            assert.strictEqual(image.imageName, "localhost:5000/flask-app:latest");
            assert.deepStrictEqual(image.build, {
                context: "app",
                dockerfile: "app/Dockerfile",
                platform: "linux/amd64",
                args: {},
            });
            assert.deepStrictEqual(image.registry, { server: "localhost:5000" });
        });

        it("passes build arguments through to the Dockerfile", async () => {
            await deploy({
                image: {
                    repository: "localhost:5000/flask-app",
                    tag: "v1",
                    platform: "linux/arm64",
                    buildArgs: {
                        BASE_IMAGE: "mirror/python:3.14-slim",
                        PIP_INDEX_URL: "http://pypi.internal/simple",
                    },
                },
            });
            const image = one(IMAGE).inputs;
            assert.strictEqual(image.imageName, "localhost:5000/flask-app:v1");
            assert.strictEqual(image.build.platform, "linux/arm64");
            assert.deepStrictEqual(image.build.args, {
                BASE_IMAGE: "mirror/python:3.14-slim",
                PIP_INDEX_URL: "http://pypi.internal/simple",
            });
        });

        it("puts registry.server in front of a repository that names no registry", async () => {
            await deploy({
                image: { repository: "team/app" },
                registry: { server: "registry.example.com" },
            });
            assert.strictEqual(one(IMAGE).inputs.imageName, "registry.example.com/team/app:latest");
        });

        it("keeps the registry password secret", async () => {
            await deploy({ ...base, registry: { username: "ci", password: "hunter2" } });
            // Secretness covers the whole property that holds a secret value.
            const registry = one(IMAGE).inputs.registry;
            assert.ok(isSecretInput(registry), "registry credentials are passed as a secret");
            assert.deepStrictEqual(reveal(registry), {
                server: "localhost:5000",
                username: "ci",
                password: "hunter2",
            });
        });
    });

    describe('target "docker"', () => {
        it("creates only the image and the container", async () => {
            await deploy(base);
            assert.deepStrictEqual(
                children().map((r) => `${r.type} ${r.name}`),
                [`${IMAGE} web-image`, `${CONTAINER} web-container`],
            );
        });

        it("pins the container image to the pushed digest", async () => {
            const app = await deploy(base);
            const ref = await promiseOf(app.imageRef);
            assert.match(ref, /^localhost:5000\/flask-app@sha256:[0-9a-f]{64}$/);
            assert.strictEqual(one(CONTAINER).inputs.image, ref);
        });

        it("publishes the app on 127.0.0.1:8080 only", async () => {
            const app = await deploy(base);
            assert.deepStrictEqual(one(CONTAINER).inputs.ports, [
                { internal: 8000, external: 8080, ip: "127.0.0.1", protocol: "tcp" },
            ]);
            assert.strictEqual(await promiseOf(app.url), "http://127.0.0.1:8080");
        });

        it("publishes on the host address and port asked for", async () => {
            const app = await deploy({ ...base, docker: { hostAddress: "::1", hostPort: 9090 } });
            assert.deepStrictEqual(one(CONTAINER).inputs.ports, [
                { internal: 8000, external: 9090, ip: "::1", protocol: "tcp" },
            ]);
            assert.strictEqual(await promiseOf(app.url), "http://[::1]:9090");
        });

        it("limits memory, swap and CPU", async () => {
            await deploy(base);
            const container = one(CONTAINER).inputs;
            assert.strictEqual(container.memory, 256);
            assert.strictEqual(container.memorySwap, 256);
            assert.strictEqual(container.cpus, "0.5");
        });

        it("applies the memory and CPU limits asked for", async () => {
            await deploy({
                ...base,
                resources: { cpuLimit: "1500m", memoryLimit: "1Gi", memoryRequest: "512Mi" },
            });
            const container = one(CONTAINER).inputs;
            assert.strictEqual(container.memory, 1024);
            assert.strictEqual(container.cpus, "1.5");
        });

        it("runs as non-root on a read-only root filesystem with no capabilities", async () => {
            await deploy(base);
            const container = one(CONTAINER).inputs;
            assert.strictEqual(container.user, "10001:10001");
            assert.strictEqual(container.readOnly, true);
            assert.deepStrictEqual(container.tmpfs, { "/tmp": "rw,noexec,nosuid,size=64m" });
            assert.deepStrictEqual(container.capabilities, { drops: ["ALL"] });
            assert.deepStrictEqual(container.securityOpts, ["no-new-privileges:true"]);
        });

        it("checks the health route and waits for the container to be healthy", async () => {
            await deploy({ ...base, healthPath: "/ready", docker: { healthyTimeoutSeconds: 90 } });
            const container = one(CONTAINER).inputs;
            assert.deepStrictEqual(container.healthcheck, {
                tests: [
                    "CMD",
                    "python3",
                    "-c",
                    'import urllib.request; urllib.request.urlopen("http://127.0.0.1:8000/ready", timeout=2)',
                ],
                interval: "10s",
                timeout: "3s",
                startPeriod: "10s",
                retries: 3,
            });
            assert.strictEqual(container.wait, true);
            assert.strictEqual(container.waitTimeout, 90);
        });

        it("restarts unless stopped and carries the standard labels", async () => {
            await deploy(base);
            const container = one(CONTAINER).inputs;
            assert.strictEqual(container.restart, "unless-stopped");
            assert.deepStrictEqual(
                container.labels,
                Object.entries(labels).map(([label, value]) => ({ label, value })),
            );
        });

        it("sets gunicorn's environment and the app's, sorted", async () => {
            await deploy({ ...base, workers: 4, env: { GREETING: "hi", APP_MODE: "prod" } });
            const envs = one(CONTAINER).inputs.envs;
            assert.ok(!isSecretInput(envs), "no secret value, so the list stays readable");
            assert.deepStrictEqual(envs, [
                "APP_MODE=prod",
                "GREETING=hi",
                "PORT=8000",
                "WEB_CONCURRENCY=4",
                "WEB_TIMEOUT=30",
            ]);
        });

        it("keeps the environment secret when it holds a secret value", async () => {
            await deploy({ ...base, env: { GREETING: "hi" }, secretEnv: { API_KEY: "s3cret" } });
            const envs = one(CONTAINER).inputs.envs;
            assert.ok(isSecretInput(envs), "envs is passed as a secret");
            assert.deepStrictEqual(reveal(envs), [
                "API_KEY=s3cret",
                "GREETING=hi",
                "PORT=8000",
                "WEB_CONCURRENCY=2",
                "WEB_TIMEOUT=30",
            ]);
        });

        it("exposes the container name, and no external URL", async () => {
            const app = await deploy(base);
            assert.deepStrictEqual(await promiseOf(app.resourceNames), {
                container: "web-container-0a1b2c3",
            });
            assert.strictEqual(await promiseOf(app.externalUrl), undefined);
        });
    });

    describe('target "kubernetes"', () => {
        const k8sBase: FlaskAppArgs = { ...base, target: "kubernetes" };

        it("creates the image, Deployment and Service, and no Namespace unless asked", async () => {
            await deploy(k8sBase);
            assert.deepStrictEqual(
                children().map((r) => `${r.type} ${r.name}`),
                [`${IMAGE} web-image`, `${DEPLOYMENT} web-deployment`, `${SERVICE} web-service`],
            );
        });

        it('creates a Namespace that enforces Pod Security "restricted" when asked', async () => {
            await deploy({ ...k8sBase, kubernetes: { namespace: "shop", createNamespace: true } });
            assert.deepStrictEqual(one(NAMESPACE).inputs.metadata, {
                name: "shop",
                labels: {
                    ...labels,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            });
            assert.strictEqual(one(DEPLOYMENT).inputs.metadata.namespace, "shop");
            assert.strictEqual(one(SERVICE).inputs.metadata.namespace, "shop");
        });

        it("deploys the pushed digest with probes, limits and a restricted securityContext", async () => {
            const app = await deploy(k8sBase);
            const imageRef = await promiseOf(app.imageRef);
            const probe = (periodSeconds: number, failureThreshold: number) => ({
                httpGet: { path: "/healthz", port: "http" },
                periodSeconds,
                timeoutSeconds: 2,
                failureThreshold,
            });
            assert.deepStrictEqual(one(DEPLOYMENT).inputs, {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "web", namespace: "default", labels },
                spec: {
                    replicas: 2,
                    selector: { matchLabels: selector },
                    strategy: {
                        type: "RollingUpdate",
                        rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
                    },
                    template: {
                        metadata: { labels },
                        spec: {
                            automountServiceAccountToken: false,
                            // 5s preStop sleep + 30s drain + 5s to exit.
                            terminationGracePeriodSeconds: 40,
                            enableServiceLinks: false,
                            securityContext: {
                                runAsNonRoot: true,
                                runAsUser: 10001,
                                runAsGroup: 10001,
                                fsGroup: 10001,
                                seccompProfile: { type: "RuntimeDefault" },
                            },
                            containers: [
                                {
                                    name: "app",
                                    image: imageRef,
                                    imagePullPolicy: "IfNotPresent",
                                    ports: [{ name: "http", containerPort: 8000, protocol: "TCP" }],
                                    env: [
                                        { name: "PORT", value: "8000" },
                                        { name: "WEB_CONCURRENCY", value: "2" },
                                        { name: "WEB_TIMEOUT", value: "30" },
                                    ],
                                    resources: {
                                        requests: { cpu: "100m", memory: "128Mi" },
                                        limits: { cpu: "500m", memory: "256Mi" },
                                    },
                                    startupProbe: probe(2, 30),
                                    readinessProbe: probe(5, 3),
                                    livenessProbe: probe(10, 3),
                                    lifecycle: { preStop: { sleep: { seconds: 5 } } },
                                    securityContext: {
                                        allowPrivilegeEscalation: false,
                                        readOnlyRootFilesystem: true,
                                        runAsNonRoot: true,
                                        capabilities: { drop: ["ALL"] },
                                        seccompProfile: { type: "RuntimeDefault" },
                                    },
                                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                                },
                            ],
                            volumes: [
                                { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
                            ],
                        },
                    },
                },
            });
        });

        it("applies replicas, requests and limits asked for", async () => {
            await deploy({
                ...k8sBase,
                resources: {
                    cpuRequest: "250m",
                    cpuLimit: "1",
                    memoryRequest: "256Mi",
                    memoryLimit: "512Mi",
                },
                kubernetes: { replicas: 5 },
            });
            const spec = one(DEPLOYMENT).inputs.spec;
            assert.strictEqual(spec.replicas, 5);
            assert.deepStrictEqual(spec.template.spec.containers[0].resources, {
                requests: { cpu: "250m", memory: "256Mi" },
                limits: { cpu: "1", memory: "512Mi" },
            });
        });

        it("keeps the selector the same whatever else changes", async () => {
            await deploy(k8sBase);
            const first = one(DEPLOYMENT).inputs.spec.selector;
            reset();
            await deploy({
                ...k8sBase,
                image: { repository: "localhost:5000/flask-app", tag: "v2" },
                env: { GREETING: "changed" },
                kubernetes: { replicas: 4 },
            });
            assert.deepStrictEqual(one(DEPLOYMENT).inputs.spec.selector, first);
            assert.deepStrictEqual(first, { matchLabels: selector });
        });

        it("exposes the pods through a ClusterIP Service by default", async () => {
            const app = await deploy(k8sBase);
            assert.deepStrictEqual(one(SERVICE).inputs, {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "web", namespace: "default", labels },
                spec: {
                    type: "ClusterIP",
                    selector,
                    ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
                },
            });
            assert.strictEqual(await promiseOf(app.url), "http://web.default.svc.cluster.local:80");
            assert.deepStrictEqual(await promiseOf(app.resourceNames), {
                namespace: "default",
                deployment: "web",
                service: "web",
            });
        });

        it("creates a NodePort Service on the port asked for", async () => {
            await deploy({
                ...k8sBase,
                kubernetes: { serviceType: "NodePort", servicePort: 8080, nodePort: 30080 },
            });
            assert.deepStrictEqual(one(SERVICE).inputs.spec.ports, [
                { name: "http", port: 8080, targetPort: "http", protocol: "TCP", nodePort: 30080 },
            ]);
            assert.strictEqual(one(SERVICE).inputs.spec.type, "NodePort");
        });

        it("creates an image pull Secret from the registry credentials, kept secret", async () => {
            await deploy({ ...k8sBase, registry: { username: "ci", password: "hunter2" } });
            const secret = one(SECRET).inputs;
            assert.deepStrictEqual(secret.metadata, {
                name: "web-registry",
                namespace: "default",
                labels,
            });
            assert.strictEqual(secret.type, "kubernetes.io/dockerconfigjson");
            const config = secret.stringData[".dockerconfigjson"];
            assert.ok(
                isSecretInput(config) || isSecretInput(secret.stringData),
                "payload is a secret",
            );
            const revealed = reveal(reveal(secret.stringData)[".dockerconfigjson"]) as string;
            assert.deepStrictEqual(JSON.parse(revealed), {
                auths: {
                    "localhost:5000": {
                        username: "ci",
                        password: "hunter2",
                        auth: Buffer.from("ci:hunter2").toString("base64"),
                    },
                },
            });
            assert.deepStrictEqual(one(DEPLOYMENT).inputs.spec.template.spec.imagePullSecrets, [
                { name: "web-registry" },
            ]);
        });

        it("puts secret environment values in a Secret and references them", async () => {
            await deploy({ ...k8sBase, env: { GREETING: "hi" }, secretEnv: { API_KEY: "s3cret" } });
            const secret = one(SECRET);
            assert.strictEqual(secret.name, "web-env");
            assert.strictEqual(secret.inputs.type, "Opaque");
            const data = secret.inputs.stringData;
            assert.ok(isSecretInput(data) || isSecretInput(data.API_KEY), "values are secrets");
            assert.deepStrictEqual(reveal(reveal(data).API_KEY), "s3cret");
            assert.deepStrictEqual(one(DEPLOYMENT).inputs.spec.template.spec.containers[0].env, [
                {
                    name: "API_KEY",
                    valueFrom: { secretKeyRef: { name: "web-env-0a1b2c3d", key: "API_KEY" } },
                },
                { name: "GREETING", value: "hi" },
                { name: "PORT", value: "8000" },
                { name: "WEB_CONCURRENCY", value: "2" },
                { name: "WEB_TIMEOUT", value: "30" },
            ]);
        });

        it("deploys through a provider made from the kubeconfig, kept secret", async () => {
            await deploy({
                ...k8sBase,
                kubernetes: { kubeconfig: "apiVersion: v1\nkind: Config\n" },
            });
            const provider = one("pulumi:providers:kubernetes");
            assert.strictEqual(provider.name, "web-k8s");
            assert.ok(isSecretInput(provider.inputs.kubeconfig), "kubeconfig is a secret");
            assert.match(one(DEPLOYMENT).provider ?? "", /::web-k8s::/);
            assert.match(one(SERVICE).provider ?? "", /::web-k8s::/);
        });

        it("waits up to awaitTimeoutSeconds for the Deployment and the Service", async () => {
            // Resource options never reach the mocks; a transformation sees them on the way.
            const timeouts: Record<string, unknown> = {};
            await deploy({ ...k8sBase, kubernetes: { awaitTimeoutSeconds: 120 } }, "web", {
                transformations: [
                    (resource) => {
                        timeouts[resource.name] = resource.opts.customTimeouts;
                        return undefined;
                    },
                ],
            });
            const expected = { create: "120s", update: "120s" };
            assert.deepStrictEqual(timeouts["web-deployment"], expected);
            assert.deepStrictEqual(timeouts["web-service"], expected);
        });

        it("deploys through the kubernetes provider in its providers option", async () => {
            const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
            await deploy(k8sBase, "web", { providers: { kubernetes: provider } });
            assert.match(one(DEPLOYMENT).provider ?? "", /::cluster::/);
            assert.match(one(SERVICE).provider ?? "", /::cluster::/);
        });
    });

    describe("two instances in one stack", () => {
        it("give every child a name of its own", async () => {
            await deploy(base, "blue");
            await deploy({ ...base, docker: { hostPort: 8081 } }, "green");
            const names = children().map((r) => `${r.type} ${r.name}`);
            assert.strictEqual(new Set(names).size, names.length);
            assert.deepStrictEqual(names.sort(), [
                `${CONTAINER} blue-container`,
                `${CONTAINER} green-container`,
                `${IMAGE} blue-image`,
                `${IMAGE} green-image`,
            ]);
        });

        it("give every Kubernetes object a name of its own", async () => {
            const k8sArgs: FlaskAppArgs = {
                ...base,
                target: "kubernetes",
                registry: { username: "u", password: "p" },
            };
            await deploy(k8sArgs, "blue");
            await deploy(k8sArgs, "green");
            const objects = registered
                .filter((r) => r.type.startsWith("kubernetes:"))
                .map((r) => `${r.type} ${r.inputs.metadata.name}`);
            assert.strictEqual(new Set(objects).size, objects.length);
            assert.strictEqual(objects.length, 6);
        });
    });
});
