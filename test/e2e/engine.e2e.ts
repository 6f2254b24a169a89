// The program on the real Pulumi engine (the test bed's CLI and the Node.js language host at its version):
// config is checked against Pulumi.yaml's types, and a bad setting or a plain-text secret
// stops the deployment with the component's message before any resource exists. A matrix tries
// a bad value for every key Pulumi.yaml declares and breaks every rule between keys, in previews
// only, batching the settings the component reports together.
import * as assert from "assert";
import { EngineEvent } from "@pulumi/pulumi/automation";

import { setConfig } from "../../tools/testbed/project";
import { BadSetting, badSettings, badStackConfig } from "../support/badInputs";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { ConfigValue, StackConfig, path, secretPath } from "../support/engineConfig";
import { useStack } from "../support/stack";
import { nodejsLanguage } from "./plugins";

const needs: SuiteNeeds = { plugins: [nodejsLanguage], timeoutMinutes: 5 };

e2eSuite("the program on the real Pulumi engine", needs, () => {
    // Its ups fail before any resource exists: nothing to destroy.
    const suite = useStack("engine", {
        // Skips the program's type check (`npm run typecheck` owns it), which is half of each
        // preview's time; what the program does with its config is the same either way.
        configure: (stack) => {
            stack.workspace.envVars.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
        },
        destroy: false,
    });

    /** Runs `preview` and returns the message it failed with. */
    async function previewError(): Promise<string> {
        try {
            await suite.stack.preview();
        } catch (err) {
            return (err as Error).message;
        }
        throw new Error("preview succeeded; it was expected to fail");
    }

    /** Resources in the stack's state besides the stack itself. */
    async function resourceCount(): Promise<number> {
        const resources: { type: string }[] =
            (await suite.stack.exportStack()).deployment.resources ?? [];
        return resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length;
    }

    beforeEach(async () => {
        const keys = Object.keys(await suite.stack.getAllConfig());
        if (keys.length > 0) await suite.stack.removeAllConfig(keys);
    });

    it("stops a bad setting at preview with the component's message, creating nothing", async () => {
        await setConfig(suite.stack, { target: "kubernetes", replicas: 0 });
        const message = await previewError();
        assert.match(
            message,
            /FlaskApp "flask-app": `kubernetes\.replicas` must be an integer of at least 1; got 0/,
        );
        assert.doesNotMatch(
            message,
            /at resolveSettings|\.ts:\d+/,
            "no stack trace for a config error",
        );
        await assert.rejects(
            suite.stack.up(),
            /`kubernetes\.replicas` must be an integer of at least 1; got 0/,
        );
        assert.strictEqual(await resourceCount(), 0);
    });

    it("names every bad setting at once", async () => {
        await setConfig(suite.stack, { cpuLimit: "lots", hostAddress: "localhost" });
        const message = await previewError();
        assert.match(message, /FlaskApp "flask-app" has 2 invalid settings:/);
        assert.match(
            message,
            /`resources\.cpuLimit` must be a positive Kubernetes CPU quantity such as "250m" or "1"; got "lots"/,
        );
        assert.match(
            message,
            /`docker\.hostAddress` must be an IPv4 or IPv6 address such as "127\.0\.0\.1"; got "localhost"/,
        );
    });

    it("refuses a registry password stored in plain text", async () => {
        await setConfig(suite.stack, { registryUsername: "ci", registryPassword: "hunter2" });
        const message = await previewError();
        assert.match(
            message,
            /`registryPassword` must be stored encrypted: set it with `pulumi config set --secret registryPassword`/,
        );
        assert.doesNotMatch(message, /hunter2/);
    });

    it("enforces the config types Pulumi.yaml declares", async () => {
        await setConfig(suite.stack, { hostPort: "eighty" });
        assert.match(
            await previewError(),
            /configuration key 'hostPort' must be of type 'integer'/,
        );
    });

    describe("one bad value per config key, and every rule between keys", () => {
        /** One bad input: what it is, the config that sets it, the message that names it. */
        interface BadInput {
            readonly key: string;
            readonly config: StackConfig;
            /** The whole message (for a FlaskApp setting, the whole problem line). */
            readonly message: string;
        }

        let tried = 0;
        let caught = 0;

        after(() => {
            // README.md states this count.
            console.log(`      ${tried} bad inputs tried, ${caught} caught`);
        });

        /** Sets `config` as a user would: plain keys first, then the entries set by path. */
        async function setInputs(config: StackConfig): Promise<void> {
            const values = Object.entries(config).map(([key, v]) => {
                const value: ConfigValue = typeof v === "string" ? { value: v } : v;
                return [`flask-app:${key}`, value] as const;
            });
            for (const byPath of [false, true]) {
                const subset = values
                    .filter(([, v]) => (v.path ?? false) === byPath)
                    .map(([key, v]) => [key, { value: v.value, secret: v.secret ?? false }]);
                if (subset.length > 0)
                    await suite.stack.setAllConfig(Object.fromEntries(subset), byPath);
            }
        }

        /**
         * Previews the stack and returns what stopped it: the program's error diagnostic, or the
         * CLI's own `error:` line when it refused the config before starting the program. Also
         * asserts that the engine previewed no resource but the stack, so no provider was
         * configured and no cluster or registry contacted, and that the state holds nothing.
         */
        async function failedPreview(): Promise<string> {
            const errors: string[] = [];
            const previewed: string[] = [];
            let cliError = "";
            try {
                await suite.stack.preview({
                    onEvent: (event: EngineEvent) => {
                        const diagnostic = event.diagnosticEvent;
                        if (diagnostic?.severity === "error") errors.push(diagnostic.message);
                        const step = event.resourcePreEvent?.metadata;
                        if (step) previewed.push(step.type);
                    },
                });
            } catch (err) {
                cliError = /^error: (.*)$/m.exec((err as Error).message)?.[1] ?? "";
            }
            assert.deepStrictEqual(
                previewed.filter((type) => type !== "pulumi:pulumi:Stack"),
                [],
                "no resource is registered before the config is checked",
            );
            assert.strictEqual(await resourceCount(), 0);
            if (errors.length === 0) {
                assert.notStrictEqual(cliError, "", "preview succeeded; it was expected to fail");
                return cliError;
            }
            assert.strictEqual(errors.length, 1, `one error, got:\n${errors.join("\n")}`);
            const message = errors[0].replace(/\n$/, "");
            assert.doesNotMatch(message, /\.ts:\d+|\.js:\d+/, "no stack trace for a config error");
            return message;
        }

        // The component reports every bad setting at once, so the rows of the unit tests' table
        // are tried in batches, one preview each: rows of one batch deploy to the same target and
        // set no key to different values (each row states every key its rule reads).
        for (const [i, rows] of batches(badSettings.filter((row) => row.config)).entries()) {
            it(`names all ${rows.length} bad settings of batch ${i + 1} in one preview`, async () => {
                tried += rows.length;
                await setInputs(Object.assign({}, ...rows.map((row) => row.config)));
                const expected =
                    rows.length === 1
                        ? [`FlaskApp "flask-app": ${rows[0].problem}`]
                        : [
                              `FlaskApp "flask-app" has ${rows.length} invalid settings:`,
                              ...rows.map((row) => `  - ${row.problem}`).sort(),
                          ];
                const [header, ...lines] = (await failedPreview()).split("\n");
                // The component's order is its own; each line must be one row's problem, whole.
                assert.deepStrictEqual([header, ...lines.sort()], expected);
                caught += rows.length;
            });
        }

        /** Refused by the program before the component sees them, one at a time. */
        const refusedByProgram: BadInput[] = [
            ...badStackConfig,
            {
                key: "one secretEnv entry in clear text beside encrypted ones",
                config: { "secretEnv.A": secretPath("s3cret"), "secretEnv.B": path("plain") },
                message:
                    "`secretEnv.B` is stored in clear text in Pulumi.{stack}.yaml, beside encrypted " +
                    "entries: set it with `pulumi config set --secret --path 'secretEnv.NAME' value`",
            },
        ];

        /**
         * Values of the wrong type, refused by the CLI against Pulumi.yaml before the program
         * starts; it names the first one only, hence one preview each (about a second).
         * `greeting` has no invalid string: any string is an environment value (a NUL byte
         * cannot reach the CLI through its arguments).
         */
        const wrongType = (
            key: string,
            config: BadInput["config"],
            type: "integer" | "boolean" | "string" | "object" | "array<object>",
        ): BadInput => ({
            key: `${key} of the wrong type`,
            config,
            message: `validating stack config: Stack '{stack}' with configuration key '${key}' must be of type '${type}'`,
        });
        const refusedByCli: BadInput[] = [
            wrongType("containerPort", { containerPort: "eighty" }, "integer"),
            wrongType("workers", { workers: "two" }, "integer"),
            wrongType("requestTimeoutSeconds", { requestTimeoutSeconds: "30s" }, "integer"),
            wrongType("hostPort", { hostPort: "8080/tcp" }, "integer"),
            wrongType("replicas", { replicas: "three" }, "integer"),
            wrongType("servicePort", { servicePort: "http" }, "integer"),
            wrongType("awaitTimeoutSeconds", { awaitTimeoutSeconds: "5m" }, "integer"),
            wrongType("createNamespace", { createNamespace: "maybe" }, "boolean"),
            wrongType("healthyTimeoutSeconds", { healthyTimeoutSeconds: "1m" }, "integer"),
            wrongType("nodePort", { nodePort: "http" }, "integer"),
            wrongType("allowEgress", { allowEgress: "sometimes" }, "boolean"),
            wrongType("baseImage", { "baseImage.name": path("python") }, "string"),
            wrongType(
                "pipIndexUrl",
                { "pipIndexUrl.url": path("https://pypi.example/simple") },
                "string",
            ),
            wrongType("pipTrustedHost", { "pipTrustedHost.host": path("pypi.example") }, "string"),
            wrongType("greeting", { "greeting.text": path("hi") }, "string"),
            wrongType("env", { env: "GREETING=hi" }, "object"),
            wrongType("nodeSelector", { nodeSelector: "pool=web" }, "object"),
            wrongType("tolerations", { tolerations: "dedicated=web:NoSchedule" }, "array<object>"),
        ];

        for (const row of [...refusedByProgram, ...refusedByCli]) {
            it(`stops ${row.key} at preview, creating nothing`, async () => {
                tried += 1;
                await setInputs(row.config);
                assert.strictEqual(
                    await failedPreview(),
                    row.message.replace("{stack}", suite.stack.name),
                );
                caught += 1;
            });
        }
    });
});

/** A config key's top-level name: `env` for `env.PORT`, `tolerations` for `tolerations[0].key`. */
function topKey(entry: string): string {
    return /^[^.[]+/.exec(entry)![0];
}

/** Each row's config by top-level key, entries set by path gathered under their key. */
function byTopKey(config: StackConfig): Map<string, string> {
    const keys = new Map<string, string[]>();
    for (const [entry, value] of Object.entries(config)) {
        const top = topKey(entry);
        keys.set(top, [...(keys.get(top) ?? []), JSON.stringify([entry, value])]);
    }
    return new Map([...keys].map(([key, entries]) => [key, entries.sort().join()]));
}

/**
 * Rows in batches, first fit in the table's order: a row joins a batch when it deploys to the
 * same target and every key both set holds the same value in both.
 */
function batches(rows: readonly BadSetting[]): BadSetting[][] {
    const result: { target: string; keys: Map<string, string>; rows: BadSetting[] }[] = [];
    for (const row of rows) {
        const keys = byTopKey(row.config!);
        const target = (row.config!.target as string | undefined) ?? "docker";
        const batch = result.find(
            (b) =>
                b.target === target &&
                [...keys].every(([key, value]) => (b.keys.get(key) ?? value) === value),
        );
        if (batch) {
            batch.rows.push(row);
            keys.forEach((value, key) => batch.keys.set(key, value));
        } else {
            result.push({ target, keys, rows: [row] });
        }
    }
    return result.map((b) => b.rows);
}
