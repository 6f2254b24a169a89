// Checks of one setting's value. Each takes the setting's name and its value and returns what is
// wrong with it, naming the setting, the value and what is allowed; nothing when it is good.
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

import { TaintEffect, Toleration, TolerationOperator } from "./args";
import { isRegistryHost, splitRepository } from "./imageReference";
import { isCpuQuantity, isMemoryQuantity } from "./quantity";

export type Check = (setting: string, value: unknown) => string[];

/** A value as the messages show it: JSON, so that strings appear quoted. */
export function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

function rule(ok: boolean, problem: () => string): string[] {
    return ok ? [] : [problem()];
}

const dnsLabelPattern = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// A label key: an optional DNS subdomain prefix and "/", then a name of at most 63 characters.
const labelKeyPattern =
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const imageTagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;

export function isDnsLabel(value: unknown): boolean {
    return typeof value === "string" && dnsLabelPattern.test(value);
}

/** An integer from `min` to `max` (no upper bound when `max` is undefined). */
export function integer(min: number, max?: number): Check {
    const allowed = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
    return (setting, value) =>
        rule(
            Number.isInteger(value) &&
                (value as number) >= min &&
                (max === undefined || (value as number) <= max),
            () => `\`${setting}\` must be an integer ${allowed}; got ${show(value)}`,
        );
}

export const port: Check = integer(1, 65535);

export function oneOf(allowed: readonly string[]): Check {
    return (setting, value) =>
        rule(
            allowed.includes(value as string),
            () =>
                `\`${setting}\` must be one of ${allowed.map((a) => `"${a}"`).join(", ")}; got ${show(value)}`,
        );
}

export const dnsLabel: Check = (setting, value) =>
    rule(
        isDnsLabel(value),
        () =>
            `\`${setting}\` must be a DNS label (lowercase letters, digits and "-", at most 63); got ${show(value)}`,
    );

/** A folder holding a Dockerfile. */
export const appFolder: Check = (setting, value) => {
    const dir = String(value);
    const allowed = `\`${setting}\` must be a folder holding a Dockerfile; got ${show(value)}`;
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        return [`${allowed}, which is not a folder`];
    }
    return rule(fs.existsSync(path.join(dir, "Dockerfile")), () => `${allowed}, which has none`);
};

export const imageRepository: Check = (setting, value) =>
    rule(
        typeof value === "string" && splitRepository(value) !== undefined,
        () =>
            `\`${setting}\` must be an image repository without tag or digest, such as ` +
            `"localhost:5000/flask-app" or "ghcr.io/acme/web"; got ${show(value)}`,
    );

/** A full image reference: repository, then a tag, a digest or both. */
export const imageReference: Check = (setting, value) => {
    const [name, digest] = String(value).split("@");
    const colon = name.lastIndexOf(":");
    // A colon after the last "/" starts the tag; one before it is a registry port.
    const hasTag = colon > name.lastIndexOf("/");
    const repository = hasTag ? name.slice(0, colon) : name;
    const tag = hasTag ? name.slice(colon + 1) : undefined;
    return rule(
        typeof value === "string" &&
            splitRepository(repository) !== undefined &&
            (tag === undefined || imageTagPattern.test(tag)) &&
            (digest === undefined || digestPattern.test(digest)) &&
            (tag !== undefined || digest !== undefined),
        () =>
            `\`${setting}\` must be an image reference with a tag or digest, such as ` +
            `"python:3.11-slim" or "ghcr.io/acme/python@sha256:…"; got ${show(value)}`,
    );
};

export const imageTag: Check = (setting, value) =>
    rule(
        typeof value === "string" && imageTagPattern.test(value),
        () =>
            `\`${setting}\` must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"; got ${show(value)}`,
    );

export const platform: Check = (setting, value) =>
    rule(
        typeof value === "string" && /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(value),
        () =>
            `\`${setting}\` must be "os/arch" or "os/arch/variant", such as "linux/amd64"; got ${show(value)}`,
    );

/** A registry host name or address, with an optional port, as image references name it. */
export const registryHost: Check = (setting, value) =>
    rule(
        typeof value === "string" && isRegistryHost(value),
        () =>
            `\`${setting}\` must be a registry host, such as "ghcr.io" or "localhost:5000", without scheme or path; got ${show(value)}`,
    );

/** A host, or host:port, such as pip's --trusted-host takes. */
export const hostName: Check = (setting, value) =>
    rule(
        typeof value === "string" && isRegistryHost(value),
        () =>
            `\`${setting}\` must be a host name, optionally with ":port", such as "pypi.internal"; got ${show(value)}`,
    );

export const httpUrl: Check = (setting, value) => {
    let ok = false;
    try {
        ok = ["http:", "https:"].includes(new URL(String(value)).protocol);
    } catch {
        ok = false;
    }
    return rule(
        ok,
        () =>
            `\`${setting}\` must be an http or https URL, such as "https://pypi.internal/simple"; got ${show(value)}`,
    );
};

export const urlPath: Check = (setting, value) =>
    rule(
        typeof value === "string" && /^\/[^\s?#]*$/.test(value),
        () => `\`${setting}\` must be a URL path starting with "/"; got ${show(value)}`,
    );

export const cpuQuantity: Check = (setting, value) =>
    rule(
        typeof value === "string" && isCpuQuantity(value),
        () =>
            `\`${setting}\` must be a positive Kubernetes CPU quantity such as "250m" or "1"; got ${show(value)}`,
    );

export const memoryQuantity: Check = (setting, value) =>
    rule(
        typeof value === "string" && isMemoryQuantity(value),
        () =>
            `\`${setting}\` must be a positive Kubernetes memory quantity such as "128Mi" or "1Gi"; got ${show(value)}`,
    );

export const ipAddress: Check = (setting, value) =>
    rule(
        typeof value === "string" && net.isIP(value) !== 0,
        () =>
            `\`${setting}\` must be an IPv4 or IPv6 address such as "127.0.0.1"; got ${show(value)}`,
    );

export const boolean: Check = (setting, value) =>
    rule(
        typeof value === "boolean",
        () => `\`${setting}\` must be true or false; got ${show(value)}`,
    );

/** The names of environment variables; their values may be secret and are not looked at. */
export const envNames: Check = (setting, value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return [`\`${setting}\` must be an object of names to values; got ${show(value)}`];
    }
    return Object.keys(value).flatMap((name) =>
        rule(
            envNamePattern.test(name),
            () =>
                `\`${setting}\` names must be letters, digits and "_", not starting with a digit; got ${show(name)}`,
        ),
    );
};

/** Node labels: each key a label key, each value a label value. */
export const nodeSelector: Check = (setting, value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return [`\`${setting}\` must be an object of label keys to values; got ${show(value)}`];
    }
    return Object.entries(value).flatMap(([key, v]) => [
        ...rule(
            labelKeyPattern.test(key) && key.length <= 317,
            () =>
                `\`${setting}\` keys must be label keys such as "pool" or "example.com/pool"; got ${show(key)}`,
        ),
        ...rule(
            typeof v === "string" && labelValuePattern.test(v),
            () =>
                `\`${setting}.${key}\` must be a label value (at most 63 letters, digits, "-", "_", "."); got ${show(v)}`,
        ),
    ]);
};

/** Kubernetes tolerations, one by one. */
export const tolerations: Check = (setting, value) => {
    if (!Array.isArray(value)) {
        return [`\`${setting}\` must be an array of tolerations; got ${show(value)}`];
    }
    const known = ["key", "operator", "value", "effect", "tolerationSeconds"];
    const effects: readonly string[] = Object.values(TaintEffect);
    return value.flatMap((t: Toleration, i): string[] => {
        const at = `\`${setting}[${i}]\``;
        if (typeof t !== "object" || t === null || Array.isArray(t)) {
            return [`${at} must be an object with key, operator, value and effect; got ${show(t)}`];
        }
        const unknown = Object.keys(t).filter((k) => !known.includes(k));
        const operator = t.operator ?? "Equal";
        return [
            ...rule(
                unknown.length === 0,
                () =>
                    `${at} may have only ${known.join(", ")}; got ${unknown.map((k) => show(k)).join(", ")}`,
            ),
            ...rule(
                (Object.values(TolerationOperator) as string[]).includes(operator),
                () => `${at}.operator must be "Equal" or "Exists"; got ${show(t.operator)}`,
            ),
            ...(t.key === undefined
                ? rule(
                      operator === "Exists",
                      () => `${at}.key is required unless operator is "Exists"`,
                  )
                : rule(
                      typeof t.key === "string" && labelKeyPattern.test(t.key),
                      () => `${at}.key must be a label key; got ${show(t.key)}`,
                  )),
            ...rule(
                operator !== "Exists" || t.value === undefined || t.value === "",
                () => `${at}.value must be empty with operator "Exists"; got ${show(t.value)}`,
            ),
            ...rule(
                t.value === undefined ||
                    (typeof t.value === "string" && labelValuePattern.test(t.value)),
                () => `${at}.value must be a label value; got ${show(t.value)}`,
            ),
            ...rule(
                t.effect === undefined || effects.includes(t.effect),
                () =>
                    `${at}.effect must be one of ${effects.map((e) => `"${e}"`).join(", ")}; got ${show(t.effect)}`,
            ),
            ...rule(
                t.tolerationSeconds === undefined ||
                    (t.effect === "NoExecute" && Number.isInteger(t.tolerationSeconds)),
                () =>
                    `${at}.tolerationSeconds needs effect "NoExecute" and an integer; got ${show(t.tolerationSeconds)} with effect ${show(t.effect)}`,
            ),
        ];
    });
};
