import { registered, reset } from "./mocks";

import * as assert from "assert";
import * as fs from "fs";

import * as pulumi from "@pulumi/pulumi";

import { FlaskApp, FlaskAppArgs, FlaskAppArgsError, argsFromConfig } from "../components";
import { validSettings } from "../components/flaskApp";
import { valueAt } from "../components/settings";
import { Setting, runtimeEnvSettings, settingsTable } from "../components/settingsTable";
import { badSettings } from "./support/badInputs";
import { StackConfig, asEngineConfig, useConfig } from "./support/engineConfig";

const image = { repository: "localhost:5000/flask-app" };
const base: FlaskAppArgs = { image };
const k8s = (kubernetes: FlaskAppArgs["kubernetes"] = {}): FlaskAppArgs => ({
    ...base,
    target: "kubernetes",
    kubernetes,
});
/** The component arguments the program makes of `config`, read as the engine hands it over. */
function argsOf(config: StackConfig): FlaskAppArgs {
    const { values, secretKeys } = asEngineConfig(config);
    try {
        return argsFromConfig(useConfig(values, secretKeys));
    } finally {
        pulumi.runtime.setAllConfig({});
    }
}

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
        for (const row of badSettings) {
            it(`${row.problem}${row.config ? "" : " (arguments only)"}`, () => {
                reset();
                const name = row.config ? "flask-app" : "web";
                assert.throws(
                    () => new FlaskApp(name, row.args ?? argsOf(row.config)),
                    (err: unknown) => {
                        assert.ok(err instanceof FlaskAppArgsError);
                        assert.strictEqual(err.message, `FlaskApp "${name}": ${row.problem}`);
                        return true;
                    },
                );
                assert.deepStrictEqual(registered, [], "nothing was registered");
            });
        }

        for (const name of ["Web_App", "1web"]) {
            it(`a component name that is not a DNS label starting with a letter, on Kubernetes: ${name}`, () => {
                reset();
                assert.throws(() => new FlaskApp(name, k8s()), {
                    message: `FlaskApp "${name}": the component name must be a DNS label starting with a letter (lowercase letters, digits and "-", at most 63) on the kubernetes target, as Service names are; got "${name}"`,
                });
                assert.deepStrictEqual(registered, []);
            });
        }
    });

    describe("accepts the values just inside each target's rules:", () => {
        const inside: [string, string, FlaskAppArgs][] = [
            ["a component name of one letter and a digit", "w1", k8s()],
            ["containerPort 1024 on Kubernetes", "web", { ...k8s(), containerPort: 1024 }],
            ["containerPort 80 on Docker", "web", { ...base, containerPort: 80 }],
            [
                "createNamespace for a namespace of the user's own",
                "web",
                k8s({ namespace: "kube-systems", createNamespace: true }),
            ],
            [
                "the namespace default, when the component does not create it",
                "web",
                k8s({ namespace: "default", createNamespace: false }),
            ],
            [
                'cpuLimit "10m" and memoryLimit "6Mi" on Docker',
                "web",
                {
                    ...base,
                    resources: {
                        cpuRequest: "10m",
                        cpuLimit: "10m",
                        memoryRequest: "6Mi",
                        memoryLimit: "6Mi",
                    },
                },
            ],
        ];
        for (const [what, name, args] of inside) {
            it(what, () => {
                assert.doesNotThrow(() => validSettings(name, args));
            });
        }
    });

    it("has a rejection above for every setting with a check", () => {
        const named = new Set(badSettings.map((row) => row.problem.match(/^`([^`[]+)/)![1]));
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
