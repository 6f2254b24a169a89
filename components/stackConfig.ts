// Reads a stack's config into FlaskApp arguments. Every key, its type and its default is
// declared in the program's Pulumi.yaml; the defaults here are the same ones.
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";

import { DeployTarget, FlaskAppArgs, RestartPolicy, ServiceType, Toleration } from "./settings";

/** Keys whose values must never sit in a stack file in plain text, and how to set each. */
const secretKeys: Record<string, string> = {
    registryPassword: "pulumi config set --secret registryPassword",
    kubeconfig: "pulumi config set --secret kubeconfig",
    secretEnv: "pulumi config set --secret --path 'secretEnv.NAME' value",
};

/** Every key Pulumi.yaml declares; a test holds the two lists equal. */
export const configKeys = [
    "target",
    "appPath",
    "imageRepository",
    "imageTag",
    "platform",
    "baseImage",
    "pipIndexUrl",
    "pipTrustedHost",
    "registryServer",
    "registryUsername",
    "registryPassword",
    "containerPort",
    "workers",
    "requestTimeoutSeconds",
    "healthPath",
    "greeting",
    "env",
    "secretEnv",
    "cpuRequest",
    "cpuLimit",
    "memoryRequest",
    "memoryLimit",
    "hostAddress",
    "hostPort",
    "restartPolicy",
    "namespace",
    "createNamespace",
    "replicas",
    "serviceType",
    "servicePort",
    "kubeconfig",
    "awaitTimeoutSeconds",
    "nodeSelector",
    "tolerations",
] as const;

// The SDK tracks which keys the stack stores encrypted but does not declare the function.
const isConfigSecret = (runtimeConfig as unknown as { isConfigSecret(key: string): boolean })
    .isConfigSecret;

/** FlaskApp arguments from `config`; a key that is unset or empty takes its default. */
export function argsFromConfig(config: pulumi.Config): FlaskAppArgs {
    // Pulumi.yaml declares "" as the default of optional strings: "" means unset.
    const optional = (key: string) => config.get(key) || undefined;
    refuseUnknownKeys(config.name);
    for (const [key, command] of Object.entries(secretKeys)) {
        // An empty object is secretEnv's default: nothing in it to keep secret.
        const set = ![undefined, "{}"].includes(optional(key));
        if (set && !isConfigSecret(`${config.name}:${key}`)) {
            throw new pulumi.RunError(
                `\`${key}\` must be stored encrypted: set it with \`${command}\``,
            );
        }
    }
    const registryUsername = optional("registryUsername");
    const hasPassword = optional("registryPassword") !== undefined;
    if (hasPassword && registryUsername === undefined) {
        throw new pulumi.RunError(
            "`registryPassword` needs `registryUsername`: set both, or neither for an anonymous push",
        );
    }
    if (!hasPassword && registryUsername !== undefined) {
        throw new pulumi.RunError(
            "`registryUsername` needs `registryPassword`: set it with " +
                "`pulumi config set --secret registryPassword`",
        );
    }
    const baseImage = optional("baseImage");
    const pipIndexUrl = optional("pipIndexUrl");
    const pipTrustedHost = optional("pipTrustedHost");
    const greeting = optional("greeting");
    const env = stringMap(config, "env");
    if (greeting !== undefined && "GREETING" in env) {
        throw new pulumi.RunError("`greeting` and `env.GREETING` both set GREETING: keep one");
    }
    return {
        target: (config.get("target") ?? "docker") as DeployTarget,
        appPath: optional("appPath"),
        image: {
            repository: config.get("imageRepository") ?? "localhost:5000/flask-app",
            tag: config.get("imageTag") ?? "latest",
            platform: config.get("platform") ?? "linux/amd64",
            buildArgs: {
                ...(baseImage && { BASE_IMAGE: baseImage }),
                ...(pipIndexUrl && { PIP_INDEX_URL: pipIndexUrl }),
                ...(pipTrustedHost && { PIP_TRUSTED_HOST: pipTrustedHost }),
            },
        },
        registry: {
            server: optional("registryServer"),
            username: registryUsername,
            password: registryUsername && config.requireSecret("registryPassword"),
        },
        containerPort: config.getNumber("containerPort") ?? 8000,
        workers: config.getNumber("workers") ?? 2,
        requestTimeoutSeconds: config.getNumber("requestTimeoutSeconds") ?? 30,
        healthPath: config.get("healthPath") ?? "/healthz",
        resources: {
            cpuRequest: config.get("cpuRequest") ?? "100m",
            cpuLimit: config.get("cpuLimit") ?? "500m",
            memoryRequest: config.get("memoryRequest") ?? "128Mi",
            memoryLimit: config.get("memoryLimit") ?? "256Mi",
        },
        env: { ...(greeting && { GREETING: greeting }), ...env },
        // Each value is wrapped on its own: the keys must be known now, to check them and to
        // reference them from the container.
        secretEnv: Object.fromEntries(
            Object.entries(stringMap(config, "secretEnv")).map(([k, v]) => [k, pulumi.secret(v)]),
        ),
        docker: {
            hostAddress: config.get("hostAddress") ?? "127.0.0.1",
            hostPort: config.getNumber("hostPort") ?? 8080,
            restartPolicy: (config.get("restartPolicy") ?? "unless-stopped") as RestartPolicy,
        },
        kubernetes: {
            namespace: config.get("namespace") ?? "default",
            createNamespace: config.getBoolean("createNamespace") ?? false,
            replicas: config.getNumber("replicas") ?? 2,
            serviceType: (config.get("serviceType") ?? "ClusterIP") as ServiceType,
            servicePort: config.getNumber("servicePort") ?? 80,
            kubeconfig: optional("kubeconfig") && config.requireSecret("kubeconfig"),
            awaitTimeoutSeconds: config.getNumber("awaitTimeoutSeconds") ?? 300,
            // Checked, entry by entry, by the component like any caller's value.
            nodeSelector: config.getObject<Record<string, string>>("nodeSelector") ?? {},
            tolerations: config.getObject<Toleration[]>("tolerations") ?? [],
        },
    };
}

/**
 * An object-typed key such as `env` or `secretEnv`, as environment values: strings, and the
 * numbers and booleans `pulumi config set --path` stores for values that look like them.
 */
function stringMap(config: pulumi.Config, key: string): Record<string, string> {
    const value = config.getObject<unknown>(key) ?? {};
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
    const declared: readonly string[] = configKeys;
    const unknown = Object.keys(pulumi.runtime.allConfig())
        .filter((key) => key.startsWith(`${namespace}:`))
        .map((key) => key.slice(namespace.length + 1))
        .filter((key) => !declared.includes(key));
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
