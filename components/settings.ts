import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

import { isCpuQuantity, isMemoryQuantity, parseQuantity } from "./quantity";
import { splitRepository } from "./imageReference";

// Each choice is a named `as const` object: the one form of enum the component package's schema
// inference accepts (provider/), and an array of its values for the checks.

/** Where the app runs. */
export const DeployTarget = { Docker: "docker", Kubernetes: "kubernetes" } as const;
export type DeployTarget = (typeof DeployTarget)[keyof typeof DeployTarget];
export const deployTargets: readonly DeployTarget[] = Object.values(DeployTarget);

/** Docker's restart policy for the container. */
export const RestartPolicy = {
    No: "no",
    OnFailure: "on-failure",
    Always: "always",
    UnlessStopped: "unless-stopped",
} as const;
export type RestartPolicy = (typeof RestartPolicy)[keyof typeof RestartPolicy];
export const restartPolicies: readonly RestartPolicy[] = Object.values(RestartPolicy);

/** How the Kubernetes Service is exposed. */
export const ServiceType = {
    ClusterIP: "ClusterIP",
    NodePort: "NodePort",
    LoadBalancer: "LoadBalancer",
} as const;
export type ServiceType = (typeof ServiceType)[keyof typeof ServiceType];
export const serviceTypes: readonly ServiceType[] = Object.values(ServiceType);

/** How a toleration matches a taint. */
export const TolerationOperator = { Equal: "Equal", Exists: "Exists" } as const;
export type TolerationOperator = (typeof TolerationOperator)[keyof typeof TolerationOperator];
export const tolerationOperators: readonly TolerationOperator[] = Object.values(TolerationOperator);

/** The effect of a taint a toleration matches. */
export const TaintEffect = {
    NoSchedule: "NoSchedule",
    PreferNoSchedule: "PreferNoSchedule",
    NoExecute: "NoExecute",
} as const;
export type TaintEffect = (typeof TaintEffect)[keyof typeof TaintEffect];
export const taintEffects: readonly TaintEffect[] = Object.values(TaintEffect);

/** A Kubernetes toleration: lets the pods run on nodes with a matching taint. */
export interface Toleration {
    /** Taint key to match. Required unless `operator` is `"Exists"` (then empty matches every taint). */
    readonly key?: string;
    /** `"Equal"` (key and value match) or `"Exists"` (the key alone). Default `"Equal"`. */
    readonly operator?: TolerationOperator;
    /** Taint value to match with `"Equal"`. Conflicts with `"Exists"`. */
    readonly value?: string;
    /** Taint effect to match: `NoSchedule`, `PreferNoSchedule` or `NoExecute`. Default every effect. */
    readonly effect?: TaintEffect;
    /** Seconds a `NoExecute` taint is tolerated before eviction. Default forever. Only with `NoExecute`. */
    readonly tolerationSeconds?: number;
}

/** The image that the component builds from the app folder and pushes. */
export interface ImageArgs {
    /**
     * Repository to push to, without tag or digest, e.g. `localhost:5000/flask-app`. When it
     * names no registry host, `registry.server` is put in front of it.
     */
    readonly repository: string;
    /** Tag pushed beside the digest. Default `"latest"`; the running image is always pinned by digest. */
    readonly tag?: string;
    /** Platform to build for, `os/arch[/variant]`. Default `"linux/amd64"`. */
    readonly platform?: string;
    /**
     * Build arguments passed to the Dockerfile, e.g. `BASE_IMAGE` for another base image or
     * `PIP_INDEX_URL` for a private package index. Default none.
     */
    readonly buildArgs?: Record<string, pulumi.Input<string>>;
}

/** Credentials for the registry that the image is pushed to (and, on Kubernetes, pulled from). */
export interface RegistryArgs {
    /** Registry host, e.g. `ghcr.io`. Default the host named in `image.repository`, else Docker Hub. */
    readonly server?: string;
    /** User name. Default none (anonymous push). Required with `password`. */
    readonly username?: string;
    /** Password or token. Default none. Stored as a secret. Requires `username`. */
    readonly password?: pulumi.Input<string>;
}

/** CPU and memory, in Kubernetes quantity syntax; the docker target applies the limits. */
export interface ResourcesArgs {
    /** CPU request. Default `"100m"`. Ignored when `target` is `"docker"`. */
    readonly cpuRequest?: string;
    /** CPU limit. Default `"500m"`. Must not be below `cpuRequest`. */
    readonly cpuLimit?: string;
    /** Memory request. Default `"128Mi"`. Ignored when `target` is `"docker"`. */
    readonly memoryRequest?: string;
    /** Memory limit. Default `"256Mi"`. Must not be below `memoryRequest`. */
    readonly memoryLimit?: string;
}

/** Settings of the `"docker"` target. Ignored when `target` is `"kubernetes"`. */
export interface DockerTargetArgs {
    /** Host address the port is published on. Default `"127.0.0.1"`, reachable from this host only. */
    readonly hostAddress?: string;
    /** Host port. Default `8080`. */
    readonly hostPort?: number;
    /** Restart policy: `no`, `on-failure`, `always` or `unless-stopped`. Default `"unless-stopped"`. */
    readonly restartPolicy?: RestartPolicy;
    /** Seconds `pulumi up` waits for the container to become healthy. Default `60`. */
    readonly healthyTimeoutSeconds?: number;
}

/** Settings of the `"kubernetes"` target. Ignored when `target` is `"docker"`. */
export interface KubernetesTargetArgs {
    /** Namespace of every object. Default `"default"`. */
    readonly namespace?: string;
    /**
     * Create the namespace, labelled to enforce the Pod Security "restricted" profile.
     * Default `false`: the namespace must exist.
     */
    readonly createNamespace?: boolean;
    /** Replicas of the Deployment. Default `2`. */
    readonly replicas?: number;
    /** Service type: `ClusterIP`, `NodePort` or `LoadBalancer`. Default `"ClusterIP"`. */
    readonly serviceType?: ServiceType;
    /** Port the Service listens on. Default `80`. */
    readonly servicePort?: number;
    /** Fixed node port. Default none (the cluster picks one). Only with `NodePort` or `LoadBalancer`. */
    readonly nodePort?: number;
    /**
     * Kubeconfig contents to deploy with, kept secret. Default the kubernetes provider in the
     * component's `providers` option, else the ambient kubeconfig.
     */
    readonly kubeconfig?: pulumi.Input<string>;
    /** Seconds `pulumi up` waits for the Deployment and Service to become ready. Default `300`. */
    readonly awaitTimeoutSeconds?: number;
    /** Node labels a node must carry to run the pods, e.g. `{ "pool": "web" }`. Default none. */
    readonly nodeSelector?: Record<string, string>;
    /** Taints the pods tolerate, so that they may run on nodes reserved by them. Default none. */
    readonly tolerations?: Toleration[];
}

export interface FlaskAppArgs {
    /** Where the app runs: `"docker"` (the local Docker Engine) or `"kubernetes"`. Default `"docker"`. */
    readonly target?: DeployTarget;
    /** Folder holding the app and its `Dockerfile`. Default the `app/` folder bundled with this package. */
    readonly appPath?: string;
    /** The image to build and push. */
    readonly image: ImageArgs;
    /** Registry credentials. Default none. */
    readonly registry?: RegistryArgs;
    /** Name of the application, the `app.kubernetes.io/name` label. Default `"flask-app"`. */
    readonly appName?: string;
    /** Port the app listens on inside the container (`PORT`). Default `8000`. */
    readonly containerPort?: number;
    /** Worker processes of the app server (`WEB_CONCURRENCY`). Default `2`. */
    readonly workers?: number;
    /** Request timeout in seconds, and the longest SIGTERM waits for requests in flight (`WEB_TIMEOUT`). Default `30`. */
    readonly requestTimeoutSeconds?: number;
    /** Path of the health route that healthchecks and probes call. Default `"/healthz"`. */
    readonly healthPath?: string;
    /** CPU and memory requests and limits. Defaults in `ResourcesArgs`. */
    readonly resources?: ResourcesArgs;
    /** Environment variables of the app. Default none. Conflicts with the keys of `secretEnv`. */
    readonly env?: Record<string, pulumi.Input<string>>;
    /** Environment variables kept secret in state, outputs and logs. Default none. */
    readonly secretEnv?: Record<string, pulumi.Input<string>>;
    /** Settings of the docker target. */
    readonly docker?: DockerTargetArgs;
    /** Settings of the kubernetes target. */
    readonly kubernetes?: KubernetesTargetArgs;
}

/** Every setting with its default applied; what the rest of the component works from. */
export interface FlaskAppSettings {
    readonly name: string;
    readonly target: DeployTarget;
    readonly appPath: string;
    readonly appName: string;
    readonly image: {
        readonly repository: string;
        readonly tag: string;
        readonly platform: string;
        readonly buildArgs: Record<string, pulumi.Input<string>>;
    };
    readonly registry: {
        readonly server: string;
        readonly username?: string;
        readonly password?: pulumi.Input<string>;
    };
    readonly containerPort: number;
    readonly workers: number;
    readonly requestTimeoutSeconds: number;
    readonly healthPath: string;
    readonly resources: Required<ResourcesArgs>;
    readonly env: Record<string, pulumi.Input<string>>;
    readonly secretEnv: Record<string, pulumi.Input<string>>;
    readonly docker: Required<DockerTargetArgs>;
    readonly kubernetes: Required<Omit<KubernetesTargetArgs, "kubeconfig" | "nodePort">> &
        Pick<KubernetesTargetArgs, "kubeconfig" | "nodePort">;
}

export const defaults = {
    target: "docker",
    appName: "flask-app",
    tag: "latest",
    platform: "linux/amd64",
    containerPort: 8000,
    workers: 2,
    requestTimeoutSeconds: 30,
    healthPath: "/healthz",
    resources: {
        cpuRequest: "100m",
        cpuLimit: "500m",
        memoryRequest: "128Mi",
        memoryLimit: "256Mi",
    },
    docker: {
        hostAddress: "127.0.0.1",
        hostPort: 8080,
        restartPolicy: "unless-stopped",
        healthyTimeoutSeconds: 60,
    },
    kubernetes: {
        namespace: "default",
        createNamespace: false,
        replicas: 2,
        serviceType: "ClusterIP",
        servicePort: 80,
        awaitTimeoutSeconds: 300,
        nodeSelector: {} as Record<string, string>,
        tolerations: [] as Toleration[],
    },
} as const;

/** Environment variables that the component sets from its own settings. */
const reservedEnv: Record<string, string> = {
    PORT: "containerPort",
    WEB_CONCURRENCY: "workers",
    WEB_TIMEOUT: "requestTimeoutSeconds",
};

/** Docker's own floor for a container memory limit. */
const dockerMinimumMemoryBytes = 6 * 1024 * 1024;

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

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// A label key: an optional DNS subdomain prefix and "/", then a name of at most 63 characters.
const labelKey =
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const imageTag = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const platformPattern = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;
const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

/** Applies the defaults to `args` and checks every setting; throws `FlaskAppArgsError` naming each bad one. */
export function resolveSettings(name: string, args: FlaskAppArgs): FlaskAppSettings {
    const problems: string[] = [];
    const check = (ok: boolean, problem: () => string) => {
        if (!ok) problems.push(problem());
    };
    const checkPort = (setting: string, value: number) =>
        check(
            Number.isInteger(value) && value >= 1 && value <= 65535,
            () => `\`${setting}\` must be an integer from 1 to 65535; got ${show(value)}`,
        );
    const checkPositiveInteger = (setting: string, value: number) =>
        check(
            Number.isInteger(value) && value >= 1,
            () => `\`${setting}\` must be an integer of at least 1; got ${show(value)}`,
        );
    const checkOneOf = (setting: string, value: string, allowed: readonly string[]) =>
        check(
            allowed.includes(value),
            () =>
                `\`${setting}\` must be one of ${allowed.map((a) => `"${a}"`).join(", ")}; got ${show(value)}`,
        );

    const target = args.target ?? defaults.target;
    checkOneOf("target", target, deployTargets);

    const appPath = args.appPath ?? bundledAppPath();
    if (!fs.existsSync(appPath) || !fs.statSync(appPath).isDirectory()) {
        problems.push(
            `\`appPath\` must be a folder holding a Dockerfile; got ${show(appPath)}, which is not a folder`,
        );
    } else if (!fs.existsSync(path.join(appPath, "Dockerfile"))) {
        problems.push(
            `\`appPath\` must be a folder holding a Dockerfile; got ${show(appPath)}, which has none`,
        );
    }

    const appName = args.appName ?? defaults.appName;
    check(
        dnsLabel.test(appName),
        () =>
            `\`appName\` must be a DNS label (lowercase letters, digits and "-", at most 63); got ${show(appName)}`,
    );

    const registry = args.registry ?? {};
    check(
        registry.password === undefined || !!registry.username,
        () => "`registry.password` needs `registry.username`; got a password and no username",
    );
    check(
        !registry.username || registry.password !== undefined,
        () =>
            `\`registry.username\` needs \`registry.password\`; got username ${show(registry.username)} and no password`,
    );

    const image = args.image ?? { repository: "" };
    const split = splitRepository(image.repository ?? "");
    let repository = image.repository;
    let server = registry.server;
    if (!split) {
        problems.push(
            "`image.repository` must be an image repository without tag or digest, such as " +
                `"localhost:5000/flask-app" or "ghcr.io/acme/web"; got ${show(image.repository)}`,
        );
    } else if (split.host === undefined) {
        if (registry.server !== undefined) repository = `${registry.server}/${split.path}`;
        server ??= "docker.io";
    } else if (registry.server !== undefined && registry.server !== split.host) {
        problems.push(
            `\`registry.server\` must match the registry in \`image.repository\` (${show(split.host)}); ` +
                `got ${show(registry.server)}`,
        );
    } else {
        server = split.host;
    }
    const tag = image.tag ?? defaults.tag;
    check(
        imageTag.test(tag),
        () =>
            `\`image.tag\` must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"; got ${show(tag)}`,
    );
    const platform = image.platform ?? defaults.platform;
    check(
        platformPattern.test(platform),
        () =>
            `\`image.platform\` must be "os/arch" or "os/arch/variant", such as "linux/amd64"; got ${show(platform)}`,
    );

    const containerPort = args.containerPort ?? defaults.containerPort;
    checkPort("containerPort", containerPort);
    const workers = args.workers ?? defaults.workers;
    checkPositiveInteger("workers", workers);
    const requestTimeoutSeconds = args.requestTimeoutSeconds ?? defaults.requestTimeoutSeconds;
    checkPositiveInteger("requestTimeoutSeconds", requestTimeoutSeconds);
    const healthPath = args.healthPath ?? defaults.healthPath;
    check(
        /^\/[^\s?#]*$/.test(healthPath),
        () => `\`healthPath\` must be a URL path starting with "/"; got ${show(healthPath)}`,
    );

    const resources = { ...defaults.resources, ...definedOnly(args.resources ?? {}) };
    for (const key of ["cpuRequest", "cpuLimit"] as const) {
        check(
            isCpuQuantity(resources[key]),
            () =>
                `\`resources.${key}\` must be a positive Kubernetes CPU quantity such as "250m" or "1"; got ${show(resources[key])}`,
        );
    }
    for (const key of ["memoryRequest", "memoryLimit"] as const) {
        check(
            isMemoryQuantity(resources[key]),
            () =>
                `\`resources.${key}\` must be a positive Kubernetes memory quantity such as "128Mi" or "1Gi"; got ${show(resources[key])}`,
        );
    }
    for (const [limit, request, valid] of [
        ["cpuLimit", "cpuRequest", isCpuQuantity],
        ["memoryLimit", "memoryRequest", isMemoryQuantity],
    ] as const) {
        // Compared only when both are valid: a bad one has been reported already.
        const comparable = valid(resources[limit]) && valid(resources[request]);
        check(
            !comparable || parseQuantity(resources[limit])! >= parseQuantity(resources[request])!,
            () =>
                `\`resources.${limit}\` must not be below \`resources.${request}\` (${show(resources[request])}); got ${show(resources[limit])}`,
        );
    }

    const env = args.env ?? {};
    const secretEnv = args.secretEnv ?? {};
    for (const [setting, vars] of [
        ["env", env],
        ["secretEnv", secretEnv],
    ] as const) {
        for (const key of Object.keys(vars)) {
            check(
                envName.test(key),
                () =>
                    `\`${setting}\` names must be letters, digits and "_", not starting with a digit; got ${show(key)}`,
            );
            check(
                !(key in reservedEnv),
                () =>
                    `\`${setting}\` must not set ${key}: the component sets it from \`${reservedEnv[key]}\``,
            );
        }
    }
    for (const key of Object.keys(env)) {
        check(!(key in secretEnv), () => `\`env\` and \`secretEnv\` must not both set ${key}`);
    }

    const docker = { ...defaults.docker, ...definedOnly(args.docker ?? {}) };
    const kubernetes = { ...defaults.kubernetes, ...definedOnly(args.kubernetes ?? {}) };
    if (target === "docker") {
        check(
            ipv4.test(docker.hostAddress) || isIpv6(docker.hostAddress),
            () =>
                `\`docker.hostAddress\` must be an IPv4 or IPv6 address such as "127.0.0.1"; got ${show(docker.hostAddress)}`,
        );
        checkPort("docker.hostPort", docker.hostPort);
        checkOneOf("docker.restartPolicy", docker.restartPolicy, restartPolicies);
        checkPositiveInteger("docker.healthyTimeoutSeconds", docker.healthyTimeoutSeconds);
        check(
            !isMemoryQuantity(resources.memoryLimit) ||
                parseQuantity(resources.memoryLimit)! >= dockerMinimumMemoryBytes,
            () =>
                `\`resources.memoryLimit\` must be at least "6Mi" on the docker target; got ${show(resources.memoryLimit)}`,
        );
    }
    if (target === "kubernetes") {
        check(
            dnsLabel.test(name),
            () =>
                `the component name must be a DNS label (lowercase letters, digits and "-", at most 63) on the kubernetes target; got ${show(name)}`,
        );
        check(
            dnsLabel.test(kubernetes.namespace),
            () =>
                `\`kubernetes.namespace\` must be a DNS label (lowercase letters, digits and "-", at most 63); got ${show(kubernetes.namespace)}`,
        );
        checkPositiveInteger("kubernetes.replicas", kubernetes.replicas);
        checkOneOf("kubernetes.serviceType", kubernetes.serviceType, serviceTypes);
        checkPort("kubernetes.servicePort", kubernetes.servicePort);
        if (kubernetes.nodePort !== undefined) {
            checkPort("kubernetes.nodePort", kubernetes.nodePort);
            check(
                kubernetes.serviceType !== "ClusterIP",
                () =>
                    `\`kubernetes.nodePort\` needs \`kubernetes.serviceType\` "NodePort" or "LoadBalancer"; got "ClusterIP"`,
            );
        }
        checkPositiveInteger("kubernetes.awaitTimeoutSeconds", kubernetes.awaitTimeoutSeconds);
        problems.push(
            ...nodeSelectorProblems(kubernetes.nodeSelector),
            ...tolerationProblems(kubernetes.tolerations),
        );
    }

    if (problems.length > 0) throw new FlaskAppArgsError(name, problems);

    return {
        name,
        target,
        appPath,
        appName,
        image: { repository, tag, platform, buildArgs: image.buildArgs ?? {} },
        registry: {
            server: server ?? "docker.io",
            username: registry.username,
            password: registry.password,
        },
        containerPort,
        workers,
        requestTimeoutSeconds,
        healthPath,
        resources,
        env,
        secretEnv,
        docker,
        kubernetes,
    };
}

/** What is wrong with `kubernetes.nodeSelector`: each key a label key, each value a label value. */
export function nodeSelectorProblems(nodeSelector: unknown): string[] {
    if (typeof nodeSelector !== "object" || nodeSelector === null || Array.isArray(nodeSelector)) {
        return [
            `\`kubernetes.nodeSelector\` must be an object of label keys to values; got ${show(nodeSelector)}`,
        ];
    }
    const problems: string[] = [];
    for (const [key, value] of Object.entries(nodeSelector)) {
        if (!labelKey.test(key) || key.length > 317) {
            problems.push(
                `\`kubernetes.nodeSelector\` keys must be label keys such as "pool" or "example.com/pool"; got ${show(key)}`,
            );
        }
        if (typeof value !== "string" || !labelValue.test(value)) {
            problems.push(
                `\`kubernetes.nodeSelector.${key}\` must be a label value (at most 63 letters, digits, "-", "_", "."); got ${show(value)}`,
            );
        }
    }
    return problems;
}

/** What is wrong with `kubernetes.tolerations`, toleration by toleration. */
export function tolerationProblems(tolerations: unknown): string[] {
    if (!Array.isArray(tolerations)) {
        return [
            `\`kubernetes.tolerations\` must be an array of tolerations; got ${show(tolerations)}`,
        ];
    }
    const known = ["key", "operator", "value", "effect", "tolerationSeconds"];
    return tolerations.flatMap((t: Toleration, i): string[] => {
        const at = `\`kubernetes.tolerations[${i}]\``;
        if (typeof t !== "object" || t === null || Array.isArray(t)) {
            return [`${at} must be an object with key, operator, value and effect; got ${show(t)}`];
        }
        const problems: string[] = [];
        const fail = (ok: boolean, problem: string) => ok || problems.push(problem);
        const unknown = Object.keys(t).filter((k) => !known.includes(k));
        fail(
            unknown.length === 0,
            `${at} may have only ${known.join(", ")}; got ${unknown.map((k) => show(k)).join(", ")}`,
        );
        const operator = t.operator ?? "Equal";
        fail(
            (tolerationOperators as readonly string[]).includes(operator),
            `${at}.operator must be "Equal" or "Exists"; got ${show(t.operator)}`,
        );
        fail(
            t.key === undefined
                ? operator === "Exists"
                : typeof t.key === "string" && labelKey.test(t.key),
            t.key === undefined
                ? `${at}.key is required unless operator is "Exists"`
                : `${at}.key must be a label key; got ${show(t.key)}`,
        );
        fail(
            operator !== "Exists" || t.value === undefined || t.value === "",
            `${at}.value must be empty with operator "Exists"; got ${show(t.value)}`,
        );
        fail(
            t.value === undefined || (typeof t.value === "string" && labelValue.test(t.value)),
            `${at}.value must be a label value; got ${show(t.value)}`,
        );
        fail(
            t.effect === undefined || (taintEffects as readonly string[]).includes(t.effect),
            `${at}.effect must be one of ${taintEffects.map((e) => `"${e}"`).join(", ")}; got ${show(t.effect)}`,
        );
        fail(
            t.tolerationSeconds === undefined ||
                (t.effect === "NoExecute" && Number.isInteger(t.tolerationSeconds)),
            `${at}.tolerationSeconds needs effect "NoExecute" and an integer; got ${show(t.tolerationSeconds)} with effect ${show(t.effect)}`,
        );
        return problems;
    });
}

function isIpv6(value: string): boolean {
    return (
        value.includes(":") &&
        /^[0-9a-fA-F:.]+$/.test(value) &&
        (value.match(/::/g) ?? []).length <= 1
    );
}

/** Drops keys whose value is `undefined`, so that spreading over defaults keeps the default. */
function definedOnly<T extends object>(value: T): Partial<T> {
    return Object.fromEntries(
        Object.entries(value).filter(([, v]) => v !== undefined),
    ) as Partial<T>;
}
