import { one, promiseOf, reset } from "./mocks";

import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";

import { argsFromConfig, resolveSettings } from "../components";
import { configKeys } from "../components/stackConfig";

interface ProjectFile {
    name: string;
    config: Record<
        string,
        { type: string; description: string; default?: unknown; secret?: boolean }
    >;
}
const project = yaml.load(fs.readFileSync("Pulumi.yaml", "utf8")) as ProjectFile;

function stackConfig(stack: string): Record<string, string> {
    const file = yaml.load(fs.readFileSync(`Pulumi.${stack}.yaml`, "utf8")) as {
        config: Record<string, unknown>;
    };
    return Object.fromEntries(Object.entries(file.config).map(([k, v]) => [k, String(v)]));
}

/** Config as the engine hands it to the program: project defaults under the stack's values. */
function useConfig(values: Record<string, string>, secretKeys: string[] = []): pulumi.Config {
    const defaults = Object.fromEntries(
        Object.entries(project.config)
            .filter(([, spec]) => spec.default !== undefined)
            .map(([key, spec]) => [
                `${project.name}:${key}`,
                typeof spec.default === "object"
                    ? JSON.stringify(spec.default)
                    : String(spec.default),
            ]),
    );
    pulumi.runtime.setAllConfig({ ...defaults, ...values }, secretKeys);
    return new pulumi.Config(project.name);
}

describe("stack config", () => {
    afterEach(() => pulumi.runtime.setAllConfig({}));

    it("declares every key with a type and a description", () => {
        for (const [key, spec] of Object.entries(project.config)) {
            assert.ok(
                ["string", "integer", "boolean", "object", "array"].includes(spec.type),
                `${key} has a type`,
            );
            assert.ok(spec.description.length > 10, `${key} has a description`);
            assert.ok(spec.default !== undefined, `${key} has a default`);
        }
    });

    it("applies in code the same defaults Pulumi.yaml declares", () => {
        pulumi.runtime.setAllConfig({});
        const fromCode = argsFromConfig(new pulumi.Config(project.name));
        const fromProject = argsFromConfig(useConfig({}));
        assert.deepStrictEqual(fromProject, fromCode);
        assert.deepStrictEqual(
            resolveSettings("flask-app", fromCode),
            resolveSettings("flask-app", fromProject),
        );
    });

    it("reads every declared key", () => {
        const source = fs.readFileSync("components/stackConfig.ts", "utf8");
        for (const key of Object.keys(project.config)) {
            assert.match(source, new RegExp(`"${key}"`), `${key} is read`);
        }
    });

    it("makes the dev stack a local Docker deployment pushing to localhost:5000", () => {
        const settings = resolveSettings(
            "flask-app",
            argsFromConfig(useConfig(stackConfig("dev"))),
        );
        assert.strictEqual(settings.target, "docker");
        assert.strictEqual(settings.image.repository, "localhost:5000/flask-app");
        assert.strictEqual(settings.registry.server, "localhost:5000");
        assert.deepStrictEqual(settings.docker, {
            hostAddress: "127.0.0.1",
            hostPort: 8080,
            restartPolicy: "unless-stopped",
            healthyTimeoutSeconds: 60,
        });
    });

    it("makes the staging stack a Kubernetes deployment in its own namespace", () => {
        const settings = resolveSettings(
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

    it("reads typed and optional keys", () => {
        const args = argsFromConfig(
            useConfig({
                "flask-app:baseImage": "mirror/python:3.14-slim",
                "flask-app:pipIndexUrl": "http://172.17.0.1:3141/simple",
                "flask-app:pipTrustedHost": "172.17.0.1",
                "flask-app:greeting": "Hi",
                "flask-app:hostPort": "9000",
                "flask-app:createNamespace": "true",
            }),
        );
        assert.deepStrictEqual(args.image.buildArgs, {
            BASE_IMAGE: "mirror/python:3.14-slim",
            PIP_INDEX_URL: "http://172.17.0.1:3141/simple",
            PIP_TRUSTED_HOST: "172.17.0.1",
        });
        assert.deepStrictEqual(args.env, { GREETING: "Hi" });
        assert.strictEqual(args.docker?.hostPort, 9000);
        assert.strictEqual(args.kubernetes?.createNamespace, true);
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

    for (const key of ["registryPassword", "kubeconfig"]) {
        it(`refuses a ${key} stored in plain text`, () => {
            const config = useConfig({
                "flask-app:registryUsername": "ci",
                [`flask-app:${key}`]: "hunter2",
            });
            assert.throws(() => argsFromConfig(config), {
                message: `\`${key}\` must be stored encrypted: set it with \`pulumi config set --secret ${key}\``,
            });
        });
    }

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

    it("refuses a secretEnv stored in plain text, without showing it", () => {
        const config = useConfig({ "flask-app:secretEnv": JSON.stringify({ API_KEY: "s3cret" }) });
        assert.throws(() => argsFromConfig(config), {
            message:
                "`secretEnv` must be stored encrypted: set it with " +
                "`pulumi config set --secret --path 'secretEnv.NAME' value`",
        });
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

    it("refuses greeting and env.GREETING together", () => {
        const config = useConfig({
            "flask-app:greeting": "Hi",
            "flask-app:env": JSON.stringify({ GREETING: "Yo" }),
        });
        assert.throws(() => argsFromConfig(config), {
            message: "`greeting` and `env.GREETING` both set GREETING: keep one",
        });
    });

    it("refuses a registry user name without a password", () => {
        assert.throws(() => argsFromConfig(useConfig({ "flask-app:registryUsername": "ci" })), {
            message:
                "`registryUsername` needs `registryPassword`: set it with `pulumi config set --secret registryPassword`",
        });
    });

    it("lists exactly the keys Pulumi.yaml declares", () => {
        assert.deepStrictEqual([...configKeys].sort(), Object.keys(project.config).sort());
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

    it("refuses a registry password without a user name", () => {
        const config = useConfig({ "flask-app:registryPassword": "hunter2" }, [
            "flask-app:registryPassword",
        ]);
        assert.throws(() => argsFromConfig(config), {
            message:
                "`registryPassword` needs `registryUsername`: set both, or neither for an anonymous push",
        });
    });

    it("runs the program on the dev stack's config", async () => {
        reset();
        useConfig(stackConfig("dev"));
        const program = await import("../index");
        await promiseOf(program.resourceNames);
        assert.match(await promiseOf(program.imageRef), /^localhost:5000\/flask-app@sha256:/);
        assert.strictEqual(await promiseOf(program.url), "http://127.0.0.1:8080");
        assert.strictEqual(one("docker:index/image:Image").name, "flask-app-image");
        assert.strictEqual(
            one("docker:index/container:Container").inputs.image,
            await promiseOf(program.imageRef),
        );
    });
});
