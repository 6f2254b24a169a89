// Stack config as a user sets it (`pulumi config set [--secret] [--path] KEY VALUE`), and as the
// engine then hands it to the program: the unit tests put it in place of the engine with
// `useConfig`, and the end-to-end suites set it on a real stack.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";

/**
 * One value: `path` sets an entry of an object or array key (`env.NAME`, `tolerations[0].key`)
 * as `pulumi config set --path` does, `secret` stores it encrypted. Under `path` the CLI reads
 * "3" as a number and "true" as a boolean.
 */
export interface ConfigValue {
    readonly value: string;
    readonly secret?: boolean;
    readonly path?: boolean;
}

/** Config keys as Pulumi.yaml declares them (or entries of them, by path) and their values. */
export type StackConfig = Readonly<Record<string, string | ConfigValue>>;

export const path = (value: string): ConfigValue => ({ value, path: true });
export const secret = (value: string): ConfigValue => ({ value, secret: true });
export const secretPath = (value: string): ConfigValue => ({ value, secret: true, path: true });

interface ProjectFile {
    name: string;
    config: Record<string, { type: string; description: string; default?: unknown }>;
}

/** The project's Pulumi.yaml. */
export const project = yaml.load(fs.readFileSync("Pulumi.yaml", "utf8")) as ProjectFile;

/** Config as the engine hands it to the program: project defaults under the stack's values. */
export function useConfig(
    values: Record<string, string>,
    secretKeys: string[] = [],
): pulumi.Config {
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

/** `config` as the engine would hold it once the CLI has set it: each key's text, and the secret keys. */
export function asEngineConfig(config: StackConfig): {
    values: Record<string, string>;
    secretKeys: string[];
} {
    const objects: Record<string, unknown> = {};
    const values: Record<string, string> = {};
    const secretKeys = new Set<string>();
    for (const [entry, given] of Object.entries(config)) {
        const {
            value,
            secret = false,
            path = false,
        }: ConfigValue = typeof given === "string" ? { value: given } : given;
        const parts = path ? pathParts(entry) : [entry];
        const key = `${project.name}:${parts[0]}`;
        if (secret) secretKeys.add(key);
        if (!path) {
            values[key] = value;
            continue;
        }
        let at = (objects[key] ??= typeof parts[1] === "number" ? [] : {}) as Record<
            string | number,
            unknown
        >;
        parts.slice(1, -1).forEach((part, i) => {
            at = (at[part] ??= typeof parts[i + 2] === "number" ? [] : {}) as typeof at;
        });
        at[parts[parts.length - 1]] = /^\d+$/.test(value)
            ? Number(value)
            : value === "true" || value === "false"
              ? value === "true"
              : value;
    }
    for (const [key, object] of Object.entries(objects)) values[key] = JSON.stringify(object);
    return { values, secretKeys: [...secretKeys] };
}

/** `env["API-KEY"]` → ["env", "API-KEY"], `tolerations[0].key` → ["tolerations", 0, "key"]. */
function pathParts(entry: string): (string | number)[] {
    return [...entry.matchAll(/\["([^"]*)"\]|\[(\d+)\]|([^.[\]]+)/g)].map(
        ([, quoted, index, name]) => quoted ?? (index !== undefined ? Number(index) : name),
    );
}
