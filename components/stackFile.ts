// What the engine does not tell a program: which entries of an object-typed key the stack's config
// file holds in clear text. The engine marks such a key secret as a whole as soon as one of its
// entries is, so a `secretEnv` with one plain entry beside secret ones looks encrypted to the
// program; the file itself says which entries are.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

/**
 * The stack's config file where Pulumi keeps it for the project in `root` (beside Pulumi.yaml,
 * or in its `stackConfigDir`); undefined when there is none, as for a stack whose config comes
 * from elsewhere.
 */
export function stackConfigFile(root: string, stack: string): string | undefined {
    const projectFile = path.join(root, "Pulumi.yaml");
    if (!fs.existsSync(projectFile)) return undefined;
    const project = yaml.load(fs.readFileSync(projectFile, "utf8")) as { stackConfigDir?: string };
    const file = path.join(root, project.stackConfigDir ?? "", `Pulumi.${stack}.yaml`);
    return fs.existsSync(file) ? file : undefined;
}

/** The names of the entries of config key `key` (`project:name`) that `file` holds in clear text. */
export function clearTextEntries(file: string, key: string): string[] {
    const stack = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const value = stack?.config?.[key];
    if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
    const encrypted = (v: unknown) => typeof v === "object" && v !== null && "secure" in v;
    return Object.entries(value)
        .filter(([, v]) => !encrypted(v))
        .map(([name]) => name);
}
