// Every setting in one table: where it sits in FlaskAppArgs, its stack config key, type, default,
// description and the check its value must pass. The component's defaults and checks and the
// stack-config reader work from it; a test holds Pulumi.yaml's config block and the README's
// table equal to it (`npm run docs:config` rewrites the README's).
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

import {
    DeployTarget,
    FlaskAppArgs,
    ResourcesArgs,
    RestartPolicy,
    ServiceType,
    Toleration,
} from "./args";
import * as checks from "./checks";
import { splitRepository } from "./imageReference";
import { isCpuQuantity, isMemoryQuantity, parseQuantity } from "./quantity";

export interface Setting {
    /** Stack config key, as Pulumi.yaml declares it. */
    readonly key: string;
    /** Where the value goes in FlaskAppArgs, e.g. `kubernetes.replicas`. */
    readonly path: string;
    readonly type: "string" | "integer" | "boolean" | "object" | "array";
    /** The default, in stack config and in the component alike. */
    readonly default: string | number | boolean | object;
    /** The value that means "not set" (`""` for strings); what then applies is `unset`. */
    readonly none?: string | number;
    /** What applies when the setting is not set, for the README. */
    readonly unset?: string;
    readonly description: string;
    /** What the value must be; values only known at deployment (outputs) are not checked. */
    readonly check?: checks.Check;
    /** The one target that reads it; both when absent. */
    readonly target?: DeployTarget;
    /** Must be stored encrypted in stack config: the command that does so. */
    readonly secret?: string;
    /** The component has no default: callers pass it; only stack config defaults it. */
    readonly required?: true;
}

const docker = DeployTarget.Docker;
const kubernetes = DeployTarget.Kubernetes;

/** Highest WEB_CONCURRENCY and WEB_TIMEOUT the app server accepts (app/server.py). */
const maxWorkers = 64;
const maxRequestTimeoutSeconds = 3600;

export const settingsTable = [
    {
        key: "target",
        path: "target",
        type: "string",
        default: "docker",
        description: 'Where the app runs, "docker" (the local Docker Engine) or "kubernetes".',
        check: checks.oneOf(Object.values(DeployTarget)),
    },
    {
        key: "appPath",
        path: "appPath",
        type: "string",
        default: "",
        none: "",
        unset: "the bundled `app/`",
        description:
            "Folder holding the app and its Dockerfile. Empty means the bundled app/ folder.",
        check: checks.appFolder,
    },
    {
        key: "appName",
        path: "appName",
        type: "string",
        default: "flask-app",
        description: "Name of the application, its app.kubernetes.io/name label.",
        check: checks.dnsLabel,
    },
    {
        key: "imageRepository",
        path: "image.repository",
        type: "string",
        default: "localhost:5000/flask-app",
        description:
            "Repository the image is pushed to, without tag, e.g. localhost:5000/flask-app.",
        check: checks.imageRepository,
        required: true,
    },
    {
        key: "imageTag",
        path: "image.tag",
        type: "string",
        default: "latest",
        description: "Tag pushed beside the digest; what runs is always pinned by digest.",
        check: checks.imageTag,
    },
    {
        key: "platform",
        path: "image.platform",
        type: "string",
        default: "linux/amd64",
        description: "Platform the image is built for.",
        check: checks.platform,
    },
    {
        key: "baseImage",
        path: "image.buildArgs.BASE_IMAGE",
        type: "string",
        default: "",
        none: "",
        unset: "the Dockerfile's pinned `python:…-slim`",
        description:
            "BASE_IMAGE build argument, the Python base image. Empty means the Dockerfile's pinned default.",
        check: checks.imageReference,
    },
    {
        key: "pipIndexUrl",
        path: "image.buildArgs.PIP_INDEX_URL",
        type: "string",
        default: "",
        none: "",
        unset: "PyPI",
        description:
            "PIP_INDEX_URL build argument, a private Python package index. Empty means PyPI.",
        check: checks.httpUrl,
    },
    {
        key: "pipTrustedHost",
        path: "image.buildArgs.PIP_TRUSTED_HOST",
        type: "string",
        default: "",
        none: "",
        unset: "none",
        description:
            "PIP_TRUSTED_HOST build argument, a package index host reached over plain HTTP. Empty means none.",
        check: checks.hostName,
    },
    {
        key: "registryServer",
        path: "registry.server",
        type: "string",
        default: "",
        none: "",
        unset: "the host in `imageRepository`",
        description: "Registry host for the credentials. Empty means the host in imageRepository.",
        check: checks.registryHost,
    },
    {
        key: "registryUsername",
        path: "registry.username",
        type: "string",
        default: "",
        none: "",
        unset: "none (anonymous push)",
        description:
            "Registry user name. Empty means an anonymous push; when set, registryPassword is required.",
    },
    {
        key: "registryPassword",
        path: "registry.password",
        type: "string",
        default: "",
        none: "",
        unset: "none",
        description:
            "Registry password or token; must be set with `pulumi config set --secret`. Required with registryUsername.",
        secret: "pulumi config set --secret registryPassword",
    },
    {
        key: "containerPort",
        path: "containerPort",
        type: "integer",
        default: 8000,
        description: "Port the app listens on in the container (PORT).",
        check: checks.port,
    },
    {
        key: "workers",
        path: "workers",
        type: "integer",
        default: 2,
        description: "Worker processes of the app server (WEB_CONCURRENCY).",
        check: checks.integer(1, maxWorkers),
    },
    {
        key: "requestTimeoutSeconds",
        path: "requestTimeoutSeconds",
        type: "integer",
        default: 30,
        description:
            "Request timeout in seconds, and the longest SIGTERM waits for requests in flight (WEB_TIMEOUT).",
        check: checks.integer(1, maxRequestTimeoutSeconds),
    },
    {
        key: "healthPath",
        path: "healthPath",
        type: "string",
        default: "/healthz",
        description: "Health route that the Docker healthcheck and the Kubernetes probes call.",
        check: checks.urlPath,
    },
    {
        key: "greeting",
        path: "env.GREETING",
        type: "string",
        default: "",
        none: "",
        unset: "the app's own",
        description:
            "GREETING environment variable, the app's message. Empty means the app's default.",
    },
    {
        key: "env",
        path: "env",
        type: "object",
        default: {},
        description:
            "Environment variables of the app, an object of strings; set one with `pulumi config set --path 'env.NAME' value`.",
        check: checks.envNames,
    },
    {
        key: "secretEnv",
        path: "secretEnv",
        type: "object",
        default: {},
        description:
            "Environment variables kept secret in state, outputs and logs; set one with `pulumi config set --secret --path 'secretEnv.NAME' value`.",
        check: checks.envNames,
        secret: "pulumi config set --secret --path 'secretEnv.NAME' value",
    },
    {
        key: "cpuRequest",
        path: "resources.cpuRequest",
        type: "string",
        default: "100m",
        description: "CPU request (Kubernetes quantity). Kubernetes only.",
        check: checks.cpuQuantity,
    },
    {
        key: "cpuLimit",
        path: "resources.cpuLimit",
        type: "string",
        default: "500m",
        description: "CPU limit (Kubernetes quantity), on both targets.",
        check: checks.cpuQuantity,
    },
    {
        key: "memoryRequest",
        path: "resources.memoryRequest",
        type: "string",
        default: "128Mi",
        description: "Memory request (Kubernetes quantity). Kubernetes only.",
        check: checks.memoryQuantity,
    },
    {
        key: "memoryLimit",
        path: "resources.memoryLimit",
        type: "string",
        default: "256Mi",
        description: "Memory limit (Kubernetes quantity), on both targets.",
        check: checks.memoryQuantity,
    },
    {
        key: "hostAddress",
        path: "docker.hostAddress",
        type: "string",
        default: "127.0.0.1",
        description: "Host address the container port is published on. Docker only.",
        check: checks.ipAddress,
        target: docker,
    },
    {
        key: "hostPort",
        path: "docker.hostPort",
        type: "integer",
        default: 8080,
        description: "Host port the container port is published on. Docker only.",
        check: checks.port,
        target: docker,
    },
    {
        key: "restartPolicy",
        path: "docker.restartPolicy",
        type: "string",
        default: "unless-stopped",
        description:
            "Container restart policy, no, on-failure, always or unless-stopped. Docker only.",
        check: checks.oneOf(Object.values(RestartPolicy)),
        target: docker,
    },
    {
        key: "healthyTimeoutSeconds",
        path: "docker.healthyTimeoutSeconds",
        type: "integer",
        default: 60,
        description: "Seconds to wait for the container to become healthy. Docker only.",
        check: checks.integer(1),
        target: docker,
    },
    {
        key: "liveUpdate",
        path: "docker.liveUpdate",
        type: "boolean",
        default: false,
        description:
            "Mount the app folder read-only over the image's /app so that `npm run dev -- --watch` reloads saved code in place; off means the container runs exactly the pushed image. Docker only.",
        check: checks.boolean,
        target: docker,
    },
    {
        key: "namespace",
        path: "kubernetes.namespace",
        type: "string",
        default: "default",
        description: "Namespace of every object. Kubernetes only.",
        check: checks.dnsLabel,
        target: kubernetes,
    },
    {
        key: "createNamespace",
        path: "kubernetes.createNamespace",
        type: "boolean",
        default: false,
        description: 'Create the namespace, enforcing Pod Security "restricted". Kubernetes only.',
        check: checks.boolean,
        target: kubernetes,
    },
    {
        key: "replicas",
        path: "kubernetes.replicas",
        type: "integer",
        default: 2,
        description: "Replicas of the Deployment. Kubernetes only.",
        check: checks.integer(1),
        target: kubernetes,
    },
    {
        key: "serviceType",
        path: "kubernetes.serviceType",
        type: "string",
        default: "ClusterIP",
        description: "Service type, ClusterIP, NodePort or LoadBalancer. Kubernetes only.",
        check: checks.oneOf(Object.values(ServiceType)),
        target: kubernetes,
    },
    {
        key: "servicePort",
        path: "kubernetes.servicePort",
        type: "integer",
        default: 80,
        description: "Port the Service listens on. Kubernetes only.",
        check: checks.port,
        target: kubernetes,
    },
    {
        key: "nodePort",
        path: "kubernetes.nodePort",
        type: "integer",
        default: 0,
        none: 0,
        unset: "one the cluster picks",
        description:
            "Fixed node port of a NodePort or LoadBalancer Service. 0 means one the cluster picks. Kubernetes only.",
        check: checks.port,
        target: kubernetes,
    },
    {
        key: "kubeconfig",
        path: "kubernetes.kubeconfig",
        type: "string",
        default: "",
        none: "",
        unset: "the ambient kubeconfig",
        description:
            "Kubeconfig contents, set with `pulumi config set --secret`. Empty means the ambient kubeconfig. Kubernetes only.",
        target: kubernetes,
        secret: "pulumi config set --secret kubeconfig",
    },
    {
        key: "awaitTimeoutSeconds",
        path: "kubernetes.awaitTimeoutSeconds",
        type: "integer",
        default: 300,
        description:
            "Seconds to wait for the Deployment and Service to become ready. Kubernetes only.",
        check: checks.integer(1),
        target: kubernetes,
    },
    {
        key: "nodeSelector",
        path: "kubernetes.nodeSelector",
        type: "object",
        default: {},
        description:
            "Node labels a node must carry to run the pods; set one with `pulumi config set --path 'nodeSelector.KEY' value`. Kubernetes only.",
        check: checks.nodeSelector,
        target: kubernetes,
    },
    {
        key: "tolerations",
        path: "kubernetes.tolerations",
        type: "array",
        default: [],
        description:
            "Taints the pods tolerate, Kubernetes tolerations (key, operator, value, effect); set with `pulumi config set --path 'tolerations[0].key' KEY`. Kubernetes only.",
        check: checks.tolerations,
        target: kubernetes,
    },
    {
        key: "allowEgress",
        path: "kubernetes.allowEgress",
        type: "boolean",
        default: false,
        description:
            "Let the pods open connections out, DNS included; their NetworkPolicy refuses them otherwise. Kubernetes only.",
        check: checks.boolean,
        target: kubernetes,
    },
] as const satisfies readonly Setting[];

export type SettingPath = (typeof settingsTable)[number]["path"];

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
        /** Username and password, which come together or not at all. */
        readonly credentials?: {
            readonly username: string;
            readonly password: pulumi.Input<string>;
        };
    };
    readonly containerPort: number;
    readonly workers: number;
    readonly requestTimeoutSeconds: number;
    readonly healthPath: string;
    readonly resources: Required<ResourcesArgs>;
    readonly env: Record<string, pulumi.Input<string>>;
    readonly secretEnv: Record<string, pulumi.Input<string>>;
    readonly docker: {
        readonly hostAddress: string;
        readonly hostPort: number;
        readonly restartPolicy: string;
        readonly healthyTimeoutSeconds: number;
        readonly liveUpdate: boolean;
    };
    readonly kubernetes: {
        readonly namespace: string;
        readonly createNamespace: boolean;
        readonly replicas: number;
        readonly serviceType: string;
        readonly servicePort: number;
        readonly nodePort?: number;
        readonly kubeconfig?: pulumi.Input<string>;
        readonly awaitTimeoutSeconds: number;
        readonly nodeSelector: Record<string, string>;
        readonly tolerations: Toleration[];
        readonly allowEgress: boolean;
    };
}

/** Environment variables the component sets from its own settings (app/server.py reads them). */
export const runtimeEnvSettings = {
    PORT: "containerPort",
    WEB_CONCURRENCY: "workers",
    WEB_TIMEOUT: "requestTimeoutSeconds",
} as const satisfies Record<string, SettingPath>;

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

function settingAt(path: SettingPath): Setting {
    return settingsTable.find((s) => s.path === path)!;
}

/** The caller's value of a setting, else its default; undefined when neither is set. */
function valueOf<T>(args: FlaskAppArgs, path: SettingPath): T {
    const setting = settingAt(path);
    const value = valueAt(args, path);
    if (value !== undefined) return value as T;
    if (setting.required || setting.default === setting.none) return undefined as T;
    return setting.default as T;
}

/**
 * Checks of one setting against another, over every target. Each returns what is wrong, naming
 * both settings.
 */
export const crossChecks: Record<string, (args: FlaskAppArgs) => string[]> = {
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
    limitsNotBelowRequests: (args) =>
        (
            [
                ["resources.cpuLimit", "resources.cpuRequest", isCpuQuantity],
                ["resources.memoryLimit", "resources.memoryRequest", isMemoryQuantity],
            ] as const
        ).flatMap(([limit, request, valid]) => {
            const [l, r] = [valueOf<string>(args, limit), valueOf<string>(args, request)];
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
export function settingsProblems(args: FlaskAppArgs): string[] {
    const target = valueOf<string>(args, "target");
    const own = settingsTable.flatMap((setting: Setting) => {
        if (setting.target !== undefined && setting.target !== target) return [];
        const value = valueOf<unknown>(args, setting.path as SettingPath);
        if (setting.check === undefined || !isKnown(value)) return [];
        // A required setting the caller left out is reported by its check, as undefined.
        if (value === undefined && !setting.required) return [];
        return setting.check(setting.path, value);
    });
    return [...own, ...Object.values(crossChecks).flatMap((check) => check(args))];
}

/** A value there now, rather than an output or promise that resolves at deployment. */
function isKnown(value: unknown): boolean {
    return !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/**
 * Applies the defaults to `args`. Bad values are carried as they are, so that the targets' own
 * checks can run beside `settingsProblems`; nothing may be deployed from settings with problems.
 */
export function resolveSettings(name: string, args: FlaskAppArgs): FlaskAppSettings {
    const value = <T>(path: SettingPath) => valueOf<T>(args, path);
    const registry = args.registry ?? {};
    const given = args.image?.repository;
    const split = splitRepository(given ?? "");
    // A repository without a host is on the registry server named, else on Docker Hub.
    const repository =
        split && split.host === undefined && registry.server !== undefined
            ? `${registry.server}/${split.path}`
            : given;
    return {
        name,
        target: value("target"),
        appPath: value<string | undefined>("appPath") ?? bundledAppPath(),
        appName: value("appName"),
        image: {
            repository,
            tag: value("image.tag"),
            platform: value("image.platform"),
            buildArgs: args.image?.buildArgs ?? {},
        },
        registry: {
            server: split?.host ?? registry.server ?? "docker.io",
            credentials:
                registry.username && registry.password !== undefined
                    ? { username: registry.username, password: registry.password }
                    : undefined,
        },
        containerPort: value("containerPort"),
        workers: value("workers"),
        requestTimeoutSeconds: value("requestTimeoutSeconds"),
        healthPath: value("healthPath"),
        resources: {
            cpuRequest: value("resources.cpuRequest"),
            cpuLimit: value("resources.cpuLimit"),
            memoryRequest: value("resources.memoryRequest"),
            memoryLimit: value("resources.memoryLimit"),
        },
        env: value("env"),
        secretEnv: value("secretEnv"),
        docker: {
            hostAddress: value("docker.hostAddress"),
            hostPort: value("docker.hostPort"),
            restartPolicy: value("docker.restartPolicy"),
            healthyTimeoutSeconds: value("docker.healthyTimeoutSeconds"),
            liveUpdate: value("docker.liveUpdate"),
        },
        kubernetes: {
            namespace: value("kubernetes.namespace"),
            createNamespace: value("kubernetes.createNamespace"),
            replicas: value("kubernetes.replicas"),
            serviceType: value("kubernetes.serviceType"),
            servicePort: value("kubernetes.servicePort"),
            nodePort: value("kubernetes.nodePort"),
            kubeconfig: value("kubernetes.kubeconfig"),
            awaitTimeoutSeconds: value("kubernetes.awaitTimeoutSeconds"),
            nodeSelector: value("kubernetes.nodeSelector"),
            tolerations: value("kubernetes.tolerations"),
            allowEgress: value("kubernetes.allowEgress"),
        },
    };
}
