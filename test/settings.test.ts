import { registered, reset } from "./mocks";

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { FlaskApp, FlaskAppArgs, FlaskAppArgsError } from "../components";
import { validSettings } from "../components/flaskApp";
import { valueAt } from "../components/settings";
import { Setting, runtimeEnvSettings, settingsTable } from "../components/settingsTable";

const image = { repository: "localhost:5000/flask-app" };
const base: FlaskAppArgs = { image };
const k8s = (kubernetes: FlaskAppArgs["kubernetes"] = {}): FlaskAppArgs => ({
    ...base,
    target: "kubernetes",
    kubernetes,
});
const quantity = (what: string, example: string) =>
    `must be a positive Kubernetes ${what} quantity such as ${example}`;
const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskapp-"));

/**
 * One bad value per row: the arguments, and the one problem the component reports for them.
 * Every setting that has a check appears, and every rule between settings.
 */
const rejected: [FlaskAppArgs, string][] = [
    [
        { ...base, target: "nomad" as "docker" },
        '`target` must be one of "docker", "kubernetes"; got "nomad"',
    ],
    [
        { ...base, appPath: "no/such/folder" },
        '`appPath` must be a folder holding a Dockerfile; got "no/such/folder", which is not a folder',
    ],
    [
        { ...base, appPath: emptyDir },
        `\`appPath\` must be a folder holding a Dockerfile; got ${JSON.stringify(emptyDir)}, which has none`,
    ],
    [
        { ...base, appName: "Flask_App" },
        '`appName` must be a DNS label (lowercase letters, digits and "-", at most 63); got "Flask_App"',
    ],
    [
        { image: { repository: "localhost:5000/flask-app:v1" } },
        '`image.repository` must be an image repository without tag or digest, such as "localhost:5000/flask-app" or "ghcr.io/acme/web"; got "localhost:5000/flask-app:v1"',
    ],
    [
        { image: { repository: "ghcr.io/Acme/Web" } },
        '`image.repository` must be an image repository without tag or digest, such as "localhost:5000/flask-app" or "ghcr.io/acme/web"; got "ghcr.io/Acme/Web"',
    ],
    [
        {} as FlaskAppArgs,
        '`image.repository` must be an image repository without tag or digest, such as "localhost:5000/flask-app" or "ghcr.io/acme/web"; got undefined',
    ],
    [
        { image: { ...image, tag: "-v1" } },
        '`image.tag` must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"; got "-v1"',
    ],
    [
        { image: { ...image, platform: "amd64" } },
        '`image.platform` must be "os/arch" or "os/arch/variant", such as "linux/amd64"; got "amd64"',
    ],
    [
        { image: { ...image, buildArgs: { BASE_IMAGE: "python" } } },
        '`image.buildArgs.BASE_IMAGE` must be an image reference with a tag or digest, such as "python:3.11-slim" or "ghcr.io/acme/python@sha256:…"; got "python"',
    ],
    [
        { image: { ...image, buildArgs: { PIP_INDEX_URL: "pypi.internal/simple" } } },
        '`image.buildArgs.PIP_INDEX_URL` must be an http or https URL, such as "https://pypi.internal/simple"; got "pypi.internal/simple"',
    ],
    [
        { image: { ...image, buildArgs: { PIP_TRUSTED_HOST: "http://pypi.internal" } } },
        '`image.buildArgs.PIP_TRUSTED_HOST` must be a host name, optionally with ":port", such as "pypi.internal"; got "http://pypi.internal"',
    ],
    [
        { image: { repository: "acme/web" }, registry: { server: "https://ghcr.io" } },
        '`registry.server` must be a registry host, such as "ghcr.io" or "localhost:5000", without scheme or path; got "https://ghcr.io"',
    ],
    [
        { ...base, registry: { server: "ghcr.io" } },
        '`registry.server` must match the registry in `image.repository` ("localhost:5000"); got "ghcr.io"',
    ],
    [
        { ...base, registry: { password: "hunter2" } },
        "`registry.password` needs `registry.username`; got a password and no username",
    ],
    [
        { ...base, registry: { username: "ci" } },
        '`registry.username` needs `registry.password`; got username "ci" and no password',
    ],
    [{ ...base, containerPort: 0 }, "`containerPort` must be an integer from 1 to 65535; got 0"],
    [{ ...base, workers: 0 }, "`workers` must be an integer from 1 to 64; got 0"],
    [{ ...base, workers: 65 }, "`workers` must be an integer from 1 to 64; got 65"],
    [
        { ...base, requestTimeoutSeconds: 1.5 },
        "`requestTimeoutSeconds` must be an integer from 1 to 3600; got 1.5",
    ],
    [
        { ...base, requestTimeoutSeconds: 3601 },
        "`requestTimeoutSeconds` must be an integer from 1 to 3600; got 3601",
    ],
    [
        { ...base, healthPath: "healthz" },
        '`healthPath` must be a URL path starting with "/"; got "healthz"',
    ],
    [
        { ...base, env: { "API-KEY": "x" } },
        '`env` names must be letters, digits and "_", not starting with a digit; got "API-KEY"',
    ],
    [
        { ...base, env: { PORT: "9000" } },
        "`env` must not set PORT: the component sets it from `containerPort`",
    ],
    [
        { ...base, secretEnv: { "1TOKEN": "x" } },
        '`secretEnv` names must be letters, digits and "_", not starting with a digit; got "1TOKEN"',
    ],
    [
        { ...base, secretEnv: { WEB_TIMEOUT: "x" } },
        "`secretEnv` must not set WEB_TIMEOUT: the component sets it from `requestTimeoutSeconds`",
    ],
    [
        { ...base, env: { TOKEN: "a" }, secretEnv: { TOKEN: "b" } },
        "`env` and `secretEnv` must not both set TOKEN",
    ],
    [
        { ...base, resources: { cpuRequest: "a lot" } },
        `\`resources.cpuRequest\` ${quantity("CPU", '"250m" or "1"')}; got "a lot"`,
    ],
    [
        { ...base, resources: { cpuLimit: "half" } },
        `\`resources.cpuLimit\` ${quantity("CPU", '"250m" or "1"')}; got "half"`,
    ],
    [
        { ...base, resources: { memoryRequest: "128MB" } },
        `\`resources.memoryRequest\` ${quantity("memory", '"128Mi" or "1Gi"')}; got "128MB"`,
    ],
    [
        { ...base, resources: { memoryLimit: "512m" } },
        `\`resources.memoryLimit\` ${quantity("memory", '"128Mi" or "1Gi"')}; got "512m"`,
    ],
    [
        { ...base, resources: { cpuRequest: "1", cpuLimit: "500m" } },
        '`resources.cpuLimit` must not be below `resources.cpuRequest` ("1"); got "500m"',
    ],
    [
        { ...base, resources: { memoryRequest: "1Gi", memoryLimit: "512Mi" } },
        '`resources.memoryLimit` must not be below `resources.memoryRequest` ("1Gi"); got "512Mi"',
    ],
    [
        { ...base, resources: { memoryRequest: "1Mi", memoryLimit: "4Mi" } },
        '`resources.memoryLimit` must be at least "6Mi" on the docker target; got "4Mi"',
    ],
    [
        { ...base, docker: { hostAddress: "localhost" } },
        '`docker.hostAddress` must be an IPv4 or IPv6 address such as "127.0.0.1"; got "localhost"',
    ],
    [
        { ...base, docker: { hostAddress: "1::2::3" } },
        '`docker.hostAddress` must be an IPv4 or IPv6 address such as "127.0.0.1"; got "1::2::3"',
    ],
    [
        { ...base, docker: { hostPort: 70000 } },
        "`docker.hostPort` must be an integer from 1 to 65535; got 70000",
    ],
    [
        { ...base, docker: { restartPolicy: "sometimes" as "always" } },
        '`docker.restartPolicy` must be one of "no", "on-failure", "always", "unless-stopped"; got "sometimes"',
    ],
    [
        { ...base, docker: { healthyTimeoutSeconds: 0 } },
        "`docker.healthyTimeoutSeconds` must be an integer of at least 1; got 0",
    ],
    [
        { ...base, docker: { liveUpdate: "on" as never } },
        '`docker.liveUpdate` must be true or false; got "on"',
    ],
    [
        k8s({ namespace: "My_Apps" }),
        '`kubernetes.namespace` must be a DNS label (lowercase letters, digits and "-", at most 63); got "My_Apps"',
    ],
    [
        k8s({ createNamespace: "yes" as never }),
        '`kubernetes.createNamespace` must be true or false; got "yes"',
    ],
    [k8s({ replicas: 0 }), "`kubernetes.replicas` must be an integer of at least 1; got 0"],
    [k8s({ replicas: -3 }), "`kubernetes.replicas` must be an integer of at least 1; got -3"],
    [
        k8s({ serviceType: "Ingress" as "NodePort" }),
        '`kubernetes.serviceType` must be one of "ClusterIP", "NodePort", "LoadBalancer"; got "Ingress"',
    ],
    [
        k8s({ servicePort: 80.5 }),
        "`kubernetes.servicePort` must be an integer from 1 to 65535; got 80.5",
    ],
    [
        k8s({ serviceType: "NodePort", nodePort: 70000 }),
        "`kubernetes.nodePort` must be an integer from 1 to 65535; got 70000",
    ],
    [
        k8s({ nodePort: 30080 }),
        '`kubernetes.nodePort` needs `kubernetes.serviceType` "NodePort" or "LoadBalancer"; got "ClusterIP"',
    ],
    [
        k8s({ awaitTimeoutSeconds: 0 }),
        "`kubernetes.awaitTimeoutSeconds` must be an integer of at least 1; got 0",
    ],
    [k8s({ allowEgress: 1 as never }), "`kubernetes.allowEgress` must be true or false; got 1"],
    [
        k8s({ nodeSelector: { "bad key": "x" } }),
        '`kubernetes.nodeSelector` keys must be label keys such as "pool" or "example.com/pool"; got "bad key"',
    ],
    [
        k8s({ nodeSelector: { pool: "a b" } }),
        '`kubernetes.nodeSelector.pool` must be a label value (at most 63 letters, digits, "-", "_", "."); got "a b"',
    ],
    [
        k8s({ tolerations: {} as never }),
        "`kubernetes.tolerations` must be an array of tolerations; got {}",
    ],
    [
        k8s({ tolerations: [{ key: "k", operator: "In" as never }] }),
        '`kubernetes.tolerations[0]`.operator must be "Equal" or "Exists"; got "In"',
    ],
    [
        k8s({ tolerations: [{ value: "v" }] }),
        '`kubernetes.tolerations[0]`.key is required unless operator is "Exists"',
    ],
    [
        k8s({ tolerations: [{ key: "k", operator: "Exists", value: "v" }] }),
        '`kubernetes.tolerations[0]`.value must be empty with operator "Exists"; got "v"',
    ],
    [
        k8s({ tolerations: [{ key: "k", effect: "NoRun" as never }] }),
        '`kubernetes.tolerations[0]`.effect must be one of "NoSchedule", "PreferNoSchedule", "NoExecute"; got "NoRun"',
    ],
    [
        k8s({ tolerations: [{ key: "k", effect: "NoSchedule", tolerationSeconds: 5 }] }),
        '`kubernetes.tolerations[0]`.tolerationSeconds needs effect "NoExecute" and an integer; got 5 with effect "NoSchedule"',
    ],
    [
        k8s({ tolerations: [{ key: "k", efect: "NoSchedule" } as never] }),
        '`kubernetes.tolerations[0]` may have only key, operator, value, effect, tolerationSeconds; got "efect"',
    ],
];

describe("FlaskApp settings", () => {
    it("applies the settings table's defaults", () => {
        for (const target of ["docker", "kubernetes"] as const) {
            const settings = validSettings("web", { ...base, target });
            for (const setting of settingsTable as readonly Setting[]) {
                const expected = setting.default === setting.notSet ? undefined : setting.default;
                if (setting.required || ["target", "appPath"].includes(setting.path)) continue;
                // Settings the component fills in from others: checked below.
                if (
                    ["registry.server", "registry.username", "registry.password"].includes(
                        setting.path,
                    )
                )
                    continue;
                const actual = setting.path.startsWith("image.buildArgs.")
                    ? settings.image.buildArgs[setting.path.split(".")[2]]
                    : setting.path === "env.GREETING"
                      ? settings.env.GREETING
                      : valueAt(settings, setting.path);
                assert.deepStrictEqual(actual, expected, setting.path);
            }
        }
    });

    it("builds the bundled app, relative to the working directory", () => {
        assert.strictEqual(validSettings("web", base).appPath, "app");
    });

    it("keeps a default when a setting is passed as undefined", () => {
        const settings = validSettings("web", { ...base, docker: { hostPort: undefined } });
        assert.strictEqual(settings.docker.hostPort, 8080);
    });

    it("takes the registry from the repository, else Docker Hub", () => {
        assert.strictEqual(validSettings("web", base).registry.server, "localhost:5000");
        const hub = validSettings("web", { image: { repository: "acme/web" } });
        assert.strictEqual(hub.registry.server, "docker.io");
        assert.strictEqual(hub.image.repository, "acme/web");
        const named = validSettings("web", {
            image: { repository: "acme/web" },
            registry: { server: "ghcr.io" },
        });
        assert.strictEqual(named.image.repository, "ghcr.io/acme/web");
    });

    it("keeps the registry credentials together", () => {
        assert.strictEqual(validSettings("web", base).registry.credentials, undefined);
        const settings = validSettings("web", {
            ...base,
            registry: { username: "ci", password: "hunter2" },
        });
        assert.deepStrictEqual(settings.registry.credentials, {
            username: "ci",
            password: "hunter2",
        });
    });

    describe("refuses, before creating anything,", () => {
        for (const [args, message] of rejected) {
            it(message, () => {
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
            });
        }

        it("a component name that is not a DNS label, on Kubernetes", () => {
            reset();
            assert.throws(() => new FlaskApp("Web_App", k8s()), {
                message:
                    'FlaskApp "Web_App": the component name must be a DNS label (lowercase letters, digits and "-", at most 63) on the kubernetes target; got "Web_App"',
            });
            assert.deepStrictEqual(registered, []);
        });
    });

    it("has a rejection above for every setting with a check", () => {
        const named = new Set(rejected.map(([, message]) => message.match(/^`([^`[]+)/)![1]));
        const checked = (settingsTable as readonly Setting[])
            .filter((s) => s.check !== undefined)
            .map((s) => s.path);
        assert.deepStrictEqual(
            checked.filter((p) => !named.has(p)),
            [],
        );
    });

    it("names every bad setting at once", () => {
        assert.throws(() => validSettings("web", { ...k8s({ replicas: 0 }), containerPort: -1 }), {
            message:
                'FlaskApp "web" has 2 invalid settings:\n' +
                "  - `containerPort` must be an integer from 1 to 65535; got -1\n" +
                "  - `kubernetes.replicas` must be an integer of at least 1; got 0",
        });
    });

    it("names a target's own rule beside the settings' checks", () => {
        assert.throws(
            () =>
                validSettings("web", {
                    ...base,
                    containerPort: -1,
                    resources: { memoryRequest: "1Mi", memoryLimit: "5Mi" },
                }),
            {
                message:
                    'FlaskApp "web" has 2 invalid settings:\n' +
                    "  - `containerPort` must be an integer from 1 to 65535; got -1\n" +
                    '  - `resources.memoryLimit` must be at least "6Mi" on the docker target; got "5Mi"',
            },
        );
    });

    it("ignores the settings of the target it does not deploy to", () => {
        assert.doesNotThrow(() => validSettings("web", { ...base, kubernetes: { replicas: 0 } }));
        assert.doesNotThrow(() => validSettings("web", { ...k8s(), docker: { hostPort: 0 } }));
    });

    it("checks values given as outputs only once they are known, at deployment", () => {
        assert.doesNotThrow(() =>
            validSettings("web", {
                image: { ...image, buildArgs: { BASE_IMAGE: Promise.resolve("python") } },
            }),
        );
    });
});

describe("the settings the app server reads from its environment", () => {
    // app/server.py refuses to start on a value out of its range: the component must refuse the
    // same values first, and default to what the server would take anyway.
    const server = fs.readFileSync("app/server.py", "utf8");
    const table: readonly Setting[] = settingsTable;

    for (const [variable, settingPath] of Object.entries(runtimeEnvSettings)) {
        it(`accepts for ${variable} the range and default app/server.py has`, () => {
            const call = new RegExp(`_int\\(env, "${variable}", (\\d+), (\\d+), (\\d+)\\)`).exec(
                server,
            );
            assert.ok(
                call,
                `app/server.py reads ${variable} with _int(env, name, default, low, high)`,
            );
            const [defaultValue, low, high] = call.slice(1).map(Number);
            const setting = table.find((s) => s.path === settingPath)!;
            assert.strictEqual(setting.default, defaultValue);
            const check = (value: number) => setting.check!(setting.path, value);
            assert.deepStrictEqual([check(low), check(high)], [[], []]);
            assert.strictEqual(check(low - 1).length, 1, `${low - 1} is refused`);
            assert.strictEqual(check(high + 1).length, 1, `${high + 1} is refused`);
        });
    }
});
