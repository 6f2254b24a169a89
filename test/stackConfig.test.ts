import { one, promiseOf, reset } from "./mocks";

import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";

import { argsFromConfig } from "../components";
import { validSettings } from "../components/flaskApp";
import { valueAt } from "../components/settings";
import { Setting, settingsTable } from "../components/settingsTable";
import { configTable, projectConfig } from "../tools/configDocs";
import { badStackConfig } from "./support/badInputs";
import { asEngineConfig, project, useConfig } from "./support/engineConfig";

function stackConfig(stack: string): Record<string, string> {
    const file = yaml.load(fs.readFileSync(`Pulumi.${stack}.yaml`, "utf8")) as {
        config: Record<string, unknown>;
    };
    return Object.fromEntries(Object.entries(file.config).map(([k, v]) => [k, String(v)]));
}

describe("stack config", () => {
    afterEach(() => pulumi.runtime.setAllConfig({}));

    it("declares in Pulumi.yaml exactly the settings table's keys (npm run docs:config writes them)", () => {
        assert.deepStrictEqual(project.config, projectConfig(), "run `npm run docs:config`");
    });

    it("shows the settings table in the README (npm run docs:config writes it)", () => {
        const normalize = (text: string) =>
            text
                .split("\n")
                .map((line) => line.replace(/ *\| */g, "|").replace(/\|-+/g, "|-"))
                .join("\n");
        const readme = fs.readFileSync("README.md", "utf8");
        const [first] = configTable().split("\n");
        const from = readme.indexOf(first);
        const shown = readme.slice(
            from,
            from + readme.slice(from).indexOf("<!-- end of config table -->") + 28,
        );
        assert.strictEqual(normalize(shown), normalize(configTable()));
    });

    it("applies in code the same defaults Pulumi.yaml declares", () => {
        pulumi.runtime.setAllConfig({});
        const fromCode = argsFromConfig(new pulumi.Config(project.name));
        const fromProject = argsFromConfig(useConfig({}));
        assert.deepStrictEqual(fromProject, fromCode);
        assert.deepStrictEqual(
            validSettings("flask-app", fromCode),
            validSettings("flask-app", fromProject),
        );
    });

    describe("reads every key into its place in the component's arguments", () => {
        // A value other than the default for each key, as the engine passes it.
        const samples: Record<string, [string, unknown]> = {
            target: ["kubernetes", "kubernetes"],
            appPath: ["src/web", "src/web"],
            appName: ["shop", "shop"],
            imageRepository: ["ghcr.io/acme/web", "ghcr.io/acme/web"],
            imageTag: ["v2", "v2"],
            platform: ["linux/arm64", "linux/arm64"],
            baseImage: ["python:3.12-slim", "python:3.12-slim"],
            pipIndexUrl: ["https://pypi.internal/simple", "https://pypi.internal/simple"],
            pipTrustedHost: ["pypi.internal", "pypi.internal"],
            registryServer: ["ghcr.io", "ghcr.io"],
            registryUsername: ["ci", "ci"],
            registryPassword: ["hunter2", "hunter2"],
            containerPort: ["9000", 9000],
            workers: ["4", 4],
            requestTimeoutSeconds: ["60", 60],
            healthPath: ["/ready", "/ready"],
            greeting: ["Hi", "Hi"],
            env: ['{"LOG_LEVEL":"debug"}', { GREETING: "Hi", LOG_LEVEL: "debug" }],
            secretEnv: ['{"API_KEY":"s3cret"}', { API_KEY: "s3cret" }],
            cpuRequest: ["200m", "200m"],
            cpuLimit: ["2", "2"],
            memoryRequest: ["64Mi", "64Mi"],
            memoryLimit: ["1Gi", "1Gi"],
            hostAddress: ["::1", "::1"],
            hostPort: ["9090", 9090],
            restartPolicy: ["always", "always"],
            healthyTimeoutSeconds: ["90", 90],
            liveUpdate: ["true", true],
            namespace: ["shop", "shop"],
            createNamespace: ["true", true],
            replicas: ["3", 3],
            serviceType: ["NodePort", "NodePort"],
            servicePort: ["8080", 8080],
            nodePort: ["30080", 30080],
            kubeconfig: ["apiVersion: v1\nclusters: []\n", "apiVersion: v1\nclusters: []\n"],
            awaitTimeoutSeconds: ["120", 120],
            nodeSelector: ['{"pool":"web"}', { pool: "web" }],
            tolerations: [
                '[{"key":"pool","operator":"Exists"}]',
                [{ key: "pool", operator: "Exists" }],
            ],
            allowEgress: ["true", true],
        };
        const table = settingsTable as readonly Setting[];
        let args: object;
        before(() => {
            const secretKeys = table.filter((s) => s.secret).map((s) => `flask-app:${s.key}`);
            args = argsFromConfig(
                useConfig(
                    Object.fromEntries(
                        Object.entries(samples).map(([key, [text]]) => [`flask-app:${key}`, text]),
                    ),
                    secretKeys,
                ),
            );
        });

        it("has a sample for every key", () => {
            assert.deepStrictEqual(
                Object.keys(samples),
                table.map((s) => s.key),
            );
        });

        for (const setting of table) {
            it(`${setting.key} → ${setting.path}${setting.secret ? ", kept secret" : ""}`, async () => {
                const value = valueAt(args, setting.path);
                const expected = samples[setting.key][1];
                if (setting.key === "secretEnv") {
                    const apiKey = (value as Record<string, pulumi.Output<string>>).API_KEY;
                    assert.ok(await pulumi.isSecret(apiKey));
                    assert.deepStrictEqual({ API_KEY: await promiseOf(apiKey) }, expected);
                } else if (setting.secret) {
                    assert.ok(await pulumi.isSecret(value as pulumi.Output<string>));
                    assert.deepStrictEqual(
                        await promiseOf(value as pulumi.Output<string>),
                        expected,
                    );
                } else {
                    assert.deepStrictEqual(value, expected);
                }
            });
        }
    });

    it("makes the dev stack a local Docker deployment pushing to localhost:5000", () => {
        const settings = validSettings("flask-app", argsFromConfig(useConfig(stackConfig("dev"))));
        assert.strictEqual(settings.target, "docker");
        assert.strictEqual(settings.image.repository, "localhost:5000/flask-app");
        assert.strictEqual(settings.registry.server, "localhost:5000");
        assert.deepStrictEqual(settings.docker, {
            hostAddress: "127.0.0.1",
            hostPort: 8080,
            restartPolicy: "unless-stopped",
            healthyTimeoutSeconds: 60,
            liveUpdate: true,
        });
    });

    it("makes the staging stack a Kubernetes deployment in its own namespace", () => {
        const settings = validSettings(
            "flask-app",
            argsFromConfig(useConfig(stackConfig("staging"))),
        );
        assert.strictEqual(settings.target, "kubernetes");
        assert.strictEqual(settings.kubernetes.namespace, "flask-app");
        assert.strictEqual(settings.kubernetes.createNamespace, true);
        assert.strictEqual(settings.kubernetes.replicas, 3);
        assert.deepStrictEqual(settings.resources, {
            cpuRequest: "250m",
            cpuLimit: "1",
            memoryRequest: "256Mi",
            memoryLimit: "512Mi",
        });
    });

    it("reads the registry password as a secret, and only with a username", async () => {
        const withUser = argsFromConfig(
            useConfig(
                { "flask-app:registryUsername": "ci", "flask-app:registryPassword": "hunter2" },
                ["flask-app:registryPassword"],
            ),
        );
        const password = withUser.registry?.password as pulumi.Output<string>;
        assert.ok(await pulumi.isSecret(password));
        assert.strictEqual(await promiseOf(password), "hunter2");

        const anonymous = argsFromConfig(useConfig({}));
        assert.strictEqual(anonymous.registry?.username, undefined);
        assert.strictEqual(anonymous.registry?.password, undefined);
    });

    it("reads env and secretEnv objects, each secretEnv value a secret", async () => {
        const args = argsFromConfig(
            useConfig(
                {
                    "flask-app:greeting": "Hi",
                    "flask-app:env": JSON.stringify({ LOG_LEVEL: "debug" }),
                    "flask-app:secretEnv": JSON.stringify({ API_KEY: "s3cret" }),
                },
                ["flask-app:secretEnv"],
            ),
        );
        assert.deepStrictEqual(args.env, { GREETING: "Hi", LOG_LEVEL: "debug" });
        const apiKey = args.secretEnv?.API_KEY as pulumi.Output<string>;
        assert.ok(await pulumi.isSecret(apiKey));
        assert.strictEqual(await promiseOf(apiKey), "s3cret");
    });

    for (const [key, value] of [
        ["env", "[1]"],
        ["env", JSON.stringify({ N: [3] })],
        ["secretEnv", JSON.stringify({ API_KEY: { nested: "x" } })],
    ]) {
        it(`refuses ${key} = ${value}: not an object of scalars`, () => {
            const config = useConfig({ [`flask-app:${key}`]: value }, [`flask-app:${key}`]);
            assert.throws(() => argsFromConfig(config), {
                message: `\`${key}\` must be an object whose values are strings, numbers or booleans, such as \`pulumi config set --path '${key}.NAME' value\``,
            });
        });
    }

    it("takes the numbers and booleans `config set --path` stores as their text", () => {
        const args = argsFromConfig(
            useConfig({ "flask-app:env": JSON.stringify({ RETRIES: 3, DEBUG: false }) }),
        );
        assert.deepStrictEqual(args.env, { RETRIES: "3", DEBUG: "false" });
    });

    for (const { key, config, message } of badStackConfig) {
        it(`refuses ${key}`, () => {
            const { values, secretKeys } = asEngineConfig(config);
            assert.throws(() => argsFromConfig(useConfig(values, secretKeys)), { message });
        });
    }

    it("carries a registry user name without a password to the component, which refuses it", () => {
        const args = argsFromConfig(useConfig({ "flask-app:registryUsername": "ci" }));
        assert.throws(() => validSettings("flask-app", args), {
            message:
                'FlaskApp "flask-app": `registry.username` needs `registry.password`; got username "ci" and no password',
        });
    });

    for (const [key, closest] of [
        ["replica", "replicas"],
        ["cpu_limit", "cpuLimit"],
        ["ImageTag", "imageTag"],
    ]) {
        it(`refuses the unknown key ${key}, naming ${closest}`, () => {
            const config = useConfig({ [`flask-app:${key}`]: "3" });
            assert.throws(() => argsFromConfig(config), {
                message: `\`${key}\` is not a setting of flask-app; did you mean \`${closest}\`? The settings are declared in Pulumi.yaml.`,
            });
        });
    }

    it("ignores keys of other namespaces", () => {
        pulumi.runtime.setAllConfig({ "aws:region": "eu-west-1" });
        assert.doesNotThrow(() => argsFromConfig(new pulumi.Config("flask-app")));
    });

    it("runs the program on the dev stack's config", async () => {
        reset();
        useConfig(stackConfig("dev"));
        const program = await import("../index");
        await promiseOf(pulumi.output(program.resourceNames));
        assert.match(await promiseOf(program.imageRef), /^localhost:5000\/flask-app@sha256:/);
        assert.strictEqual(await promiseOf(program.url), "http://127.0.0.1:8080");
        assert.strictEqual(one("docker:index/image:Image").name, "flask-app-image");
        assert.strictEqual(
            one("docker:index/container:Container").inputs.image,
            await promiseOf(program.imageRef),
        );
    });
});
