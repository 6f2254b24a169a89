// The settings as the component works with them: the caller's arguments over the settings
// table's defaults (settingsTable.ts), and the problems found in them before anything is created.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

import { FlaskAppArgs } from "./args";
import * as checks from "./checks";
import { splitRepository } from "./imageReference";
import { isCpuQuantity, isMemoryQuantity, parseQuantity } from "./quantity";
import { Setting, runtimeEnvSettings, settingsTable } from "./settingsTable";

/** Paths of the settings whose `notSet` value leaves them unset, such as `kubernetes.nodePort`. */
type MayStayUnset = Extract<(typeof settingsTable)[number], { notSet: unknown }>["path"];

/**
 * `T`, the arguments at `Prefix`, with the defaults applied: every field is present, except the
 * settings that may stay unset. Groups of settings (`image`, `docker`, ...) are resolved field by
 * field; a list or a map of names (`tolerations`, `env`) is one value.
 */
type Resolved<T, Prefix extends string = ""> = {
    readonly [K in keyof T & string as `${Prefix}${K}` extends MayStayUnset ? never : K]-?: Field<
        Exclude<T[K], undefined>,
        `${Prefix}${K}.`
    >;
} & {
    readonly [K in keyof T & string as `${Prefix}${K}` extends MayStayUnset ? K : never]?: T[K];
};
type Field<V, Prefix extends string> = [V] extends [readonly unknown[]]
    ? V
    : [V] extends [object]
      ? string extends keyof V
          ? V
          : Resolved<V, Prefix>
      : V;

/** Every setting with its default applied; what the rest of the component works from. */
export type FlaskAppSettings = Omit<Resolved<FlaskAppArgs>, "appPath" | "registry"> & {
    /** The component's name, from which its children's names derive. */
    readonly name: string;
    /** The caller's app folder, else the bundled one. */
    readonly appPath: string;
    readonly registry: {
        /** The host in `image.repository`, else `registry.server`, else Docker Hub. */
        readonly server: string;
        /** Username and password, which come together or not at all. */
        readonly credentials?: {
            readonly username: string;
            readonly password: pulumi.Input<string>;
        };
    };
};

/** Raised before any resource is created when a setting is invalid; lists every bad setting. */
export class FlaskAppArgsError extends pulumi.RunError {
    constructor(
        name: string,
        public readonly problems: string[],
    ) {
        super(
            problems.length === 1
                ? `FlaskApp "${name}": ${problems[0]}`
                : `FlaskApp "${name}" has ${problems.length} invalid settings:\n` +
                      problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "FlaskAppArgsError";
    }
}

/** The `app/` folder shipped with this package, relative to the working directory. */
export function bundledAppPath(): string {
    // Compiled code runs from bin/components, sources from components/: look in both places.
    const candidates = [path.join(__dirname, "..", "app"), path.join(__dirname, "..", "..", "app")];
    const found = candidates.find((dir) => fs.existsSync(path.join(dir, "Dockerfile")));
    // Relative, so that state written on one machine shows no diff on another.
    return path.relative(process.cwd(), found ?? candidates[0]) || ".";
}

/** The value at a dotted path of an object, or undefined. */
export function valueAt(object: object, dotted: string): unknown {
    return dotted
        .split(".")
        .reduce<unknown>(
            (value, part) =>
                typeof value === "object" && value !== null
                    ? (value as Record<string, unknown>)[part]
                    : undefined,
            object,
        );
}

/**
 * Sets `value` at a dotted path of `object`, creating the groups on the way; a map (such as
 * `env`) is merged into the one already there.
 */
export function setAt(object: object, dotted: string, value: unknown): void {
    const parts = dotted.split(".");
    let at = object as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) {
        at[part] ??= {};
        at = at[part] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1];
    at[last] = isGroup(value) && isGroup(at[last]) ? { ...at[last], ...value } : value;
}

/** A plain object: a group of settings or a map of names, not a list, output or promise. */
function isGroup(value: unknown): value is Record<string, unknown> {
    if (typeof value !== "object" || value === null) return false;
    const prototype: unknown = Object.getPrototypeOf(value);
    return prototype === Object.prototype || prototype === null;
}

/**
 * The settings table's defaults at their paths. A setting that stays unset is left out, but the
 * group it sits in is there (`image.buildArgs` for `BASE_IMAGE`).
 */
function tableDefaults(): object {
    const defaults = {};
    for (const setting of settingsTable as readonly Setting[]) {
        if (setting.required) continue;
        if (setting.default !== setting.notSet) setAt(defaults, setting.path, setting.default);
        else if (setting.path.includes("."))
            setAt(defaults, setting.path.replace(/\.[^.]*$/, ""), {});
    }
    return defaults;
}

/** `value` over `fallback`, group by group: a field the caller leaves undefined keeps its default. */
function over(fallback: unknown, value: unknown): unknown {
    if (value === undefined) return fallback;
    if (!isGroup(fallback) || !isGroup(value)) return value;
    const keys = new Set([...Object.keys(fallback), ...Object.keys(value)]);
    return Object.fromEntries([...keys].map((key) => [key, over(fallback[key], value[key])]));
}

/** The caller's arguments over the table's defaults, as given: nothing computed, nothing checked. */
function withDefaults(args: FlaskAppArgs): FlaskAppArgs {
    return over(tableDefaults(), args) as FlaskAppArgs;
}

/**
 * Checks of one setting against another, over every target, on the arguments with their
 * defaults. Each returns what is wrong, naming both settings.
 */
export const crossChecks: Record<string, (given: FlaskAppArgs) => string[]> = {
    registryCredentialsTogether: ({ registry = {} }) => [
        ...(registry.password !== undefined && !registry.username
            ? ["`registry.password` needs `registry.username`; got a password and no username"]
            : []),
        ...(registry.username && registry.password === undefined
            ? [
                  `\`registry.username\` needs \`registry.password\`; got username ${checks.show(registry.username)} and no password`,
              ]
            : []),
    ],
    registryServerMatchesRepository: ({ image, registry = {} }) => {
        const host = splitRepository(image?.repository ?? "")?.host;
        return host !== undefined && registry.server !== undefined && registry.server !== host
            ? [
                  `\`registry.server\` must match the registry in \`image.repository\` (${checks.show(host)}); ` +
                      `got ${checks.show(registry.server)}`,
              ]
            : [];
    },
    limitsNotBelowRequests: (given) =>
        (
            [
                ["resources.cpuLimit", "resources.cpuRequest", isCpuQuantity],
                ["resources.memoryLimit", "resources.memoryRequest", isMemoryQuantity],
            ] as const
        ).flatMap(([limit, request, valid]) => {
            const [l, r] = [valueAt(given, limit), valueAt(given, request)] as string[];
            // Compared only when both are good: a bad one is reported by its own check.
            return valid(l) && valid(r) && parseQuantity(l)! < parseQuantity(r)!
                ? [
                      `\`${limit}\` must not be below \`${request}\` (${checks.show(r)}); got ${checks.show(l)}`,
                  ]
                : [];
        }),
    envNotReserved: ({ env = {}, secretEnv = {} }) =>
        (
            [
                ["env", env],
                ["secretEnv", secretEnv],
            ] as const
        ).flatMap(([setting, vars]) =>
            Object.keys(vars)
                .filter((name) => name in runtimeEnvSettings)
                .map(
                    (name) =>
                        `\`${setting}\` must not set ${name}: the component sets it from \`${runtimeEnvSettings[name as keyof typeof runtimeEnvSettings]}\``,
                ),
        ),
    envNotBothPlainAndSecret: ({ env = {}, secretEnv = {} }) =>
        Object.keys(env)
            .filter((name) => name in secretEnv)
            .map((name) => `\`env\` and \`secretEnv\` must not both set ${name}`),
};

/**
 * Problems of `args`: each setting the target reads against its own check, then the checks
 * between settings. Values that are outputs are known only at deployment and are not checked.
 */
export function listProblems(args: FlaskAppArgs): string[] {
    const given = withDefaults(args);
    const own = (settingsTable as readonly Setting[]).flatMap((setting) => {
        if (setting.target !== undefined && setting.target !== given.target) return [];
        const value = valueAt(given, setting.path);
        if (setting.check === undefined || !isKnown(value)) return [];
        // A required setting the caller left out is reported by its check, as undefined.
        if (value === undefined && !setting.required) return [];
        return setting.check(setting.path, value);
    });
    return [...own, ...Object.values(crossChecks).flatMap((check) => check(given))];
}

/** A value there now, rather than an output or promise that resolves at deployment. */
function isKnown(value: unknown): boolean {
    return !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/**
 * `args` over the table's defaults, with the values computed from others: the app folder, the
 * repository and the registry. Bad values are carried as they are, so that the targets' own
 * checks can run beside `listProblems`; nothing may be deployed from settings with problems.
 */
export function applyDefaults(name: string, args: FlaskAppArgs): FlaskAppSettings {
    const given = withDefaults(args);
    const registry = given.registry ?? {};
    const split = splitRepository(given.image?.repository ?? "");
    // A repository without a host is on the registry server named, else on Docker Hub.
    const repository =
        split && split.host === undefined && registry.server !== undefined
            ? `${registry.server}/${split.path}`
            : given.image?.repository;
    return {
        ...given,
        name,
        appPath: given.appPath ?? bundledAppPath(),
        image: { ...given.image, repository },
        registry: {
            server: split?.host ?? registry.server ?? "docker.io",
            credentials:
                registry.username && registry.password !== undefined
                    ? { username: registry.username, password: registry.password }
                    : undefined,
        },
    } as FlaskAppSettings;
}
