// Reads a stack's config into FlaskApp arguments, key by key as the settings table declares them
// (Pulumi.yaml declares the same keys, types and defaults; a test holds the two equal).
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";

import { FlaskAppArgs } from "./args";
import { setAt } from "./settings";
import { Setting, settingsTable } from "./settingsTable";
import { clearTextEntries, stackConfigFile } from "./stackFile";

// The SDK tracks which keys the stack stores encrypted but does not declare the function.
const isConfigSecret = (runtimeConfig as unknown as { isConfigSecret(key: string): boolean })
    .isConfigSecret;

/** FlaskApp arguments from `config`; a key set to its `notSet` value (`""`, or 0 for `nodePort`) is left out. */
export function argsFromConfig(config: pulumi.Config): FlaskAppArgs {
    refuseUnknownKeys(config.name);
    const table: readonly Setting[] = settingsTable;
    const values = new Map(table.map((setting) => [setting.key, read(config, setting)]));
    const isSet = (key: string) => values.get(key) !== undefined;

    const stackFile = stackConfigFile(pulumi.runtime.getRootDirectory(), pulumi.getStack());
    for (const { key, type, secret } of table) {
        if (!secret || !isSet(key)) continue;
        const fullKey = `${config.name}:${key}`;
        if (!isConfigSecret(fullKey)) {
            throw new pulumi.RunError(
                `\`${key}\` must be stored encrypted: set it with \`${secret}\``,
            );
        }
        const inClear = type === "object" && stackFile ? clearTextEntries(stackFile, fullKey) : [];
        if (inClear.length > 0) {
            const names = inClear.map((name) => `\`${key}.${name}\``).join(", ");
            throw new pulumi.RunError(
                `${names} ${inClear.length > 1 ? "are" : "is"} stored in clear text in ` +
                    `${path.basename(stackFile!)}, beside encrypted entries: set ` +
                    `${inClear.length > 1 ? "each" : "it"} with \`${secret}\``,
            );
        }
    }
    if (isSet("greeting") && "GREETING" in ((values.get("env") as object | undefined) ?? {})) {
        throw new pulumi.RunError("`greeting` and `env.GREETING` both set GREETING: keep one");
    }
    const kubeconfig = values.get("kubeconfig");
    if (kubeconfig !== undefined && !/^\s*"?clusters"?\s*:/m.test(config.get("kubeconfig")!)) {
        // The value itself is not shown: it holds credentials.
        throw new pulumi.RunError(
            "`kubeconfig` must be the contents of a kubeconfig file, with its `clusters`, not a " +
                "path or a context name: set it with `pulumi config set --secret kubeconfig < FILE`",
        );
    }

    const args = {} as FlaskAppArgs;
    for (const setting of table) {
        const value = values.get(setting.key);
        if (value !== undefined) setAt(args, setting.path, value);
    }
    return args;
}

/** A key's value as the component takes it, or undefined when it is unset or `notSet`. */
function read(config: pulumi.Config, setting: Setting): unknown {
    const { key, type } = setting;
    const value =
        type === "integer"
            ? config.getNumber(key)
            : type === "boolean"
              ? config.getBoolean(key)
              : type === "string"
                ? config.get(key)
                : config.getObject<unknown>(key);
    // The engine passes Pulumi.yaml's defaults; a program run without them gets the same ones.
    const given = value ?? setting.default;
    if (given === setting.notSet) return undefined;
    if (key === "env" || key === "secretEnv") {
        const env = stringMap(key, given);
        if (Object.keys(env).length === 0) return undefined;
        // Each value is wrapped on its own: the keys must be known now, to check them and to
        // reference them from the container.
        return key === "env"
            ? env
            : Object.fromEntries(Object.entries(env).map(([k, v]) => [k, pulumi.secret(v)]));
    }
    return setting.secret ? config.requireSecret(key) : given;
}

/**
 * An object-typed key such as `env` or `secretEnv`, as environment values: strings, and the
 * numbers and booleans `pulumi config set --path` stores for values that look like them.
 */
function stringMap(key: string, value: unknown): Record<string, string> {
    const scalar = (v: unknown) => ["string", "number", "boolean"].includes(typeof v);
    const valid =
        typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every(scalar);
    if (!valid) {
        // The value itself is not shown: secretEnv's may be secret.
        throw new pulumi.RunError(
            `\`${key}\` must be an object whose values are strings, numbers or booleans, such as ` +
                `\`pulumi config set --path '${key}.NAME' value\``,
        );
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

/** A typo in a key would otherwise be ignored: name it, and the declared key it is closest to. */
function refuseUnknownKeys(namespace: string): void {
    const declared = settingsTable.map((s) => s.key as string);
    const unknown = Object.keys(pulumi.runtime.allConfig())
        .filter((key) => key.startsWith(`${namespace}:`))
        .map((key) => key.slice(namespace.length + 1))
        .filter((key) => !declared.includes(key))
        .sort();
    if (unknown.length === 0) return;
    const problems = unknown.map((key) => {
        const closest = [...declared].sort((a, b) => distance(key, a) - distance(key, b))[0];
        return `\`${key}\` is not a setting of ${namespace}; did you mean \`${closest}\`?`;
    });
    throw new pulumi.RunError(problems.join("\n") + ` The settings are declared in Pulumi.yaml.`);
}

/** Edit distance between two keys, case-insensitive (Levenshtein). */
function distance(a: string, b: string): number {
    const [x, y] = [a.toLowerCase(), b.toLowerCase()];
    let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
    for (let i = 1; i <= x.length; i++) {
        const row = [i];
        for (let j = 1; j <= y.length; j++) {
            row[j] = Math.min(
                previous[j] + 1,
                row[j - 1] + 1,
                previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1),
            );
        }
        previous = row;
    }
    return previous[y.length];
}
