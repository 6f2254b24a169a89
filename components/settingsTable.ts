// Every setting in one table: where it sits in FlaskAppArgs, its stack config key, type, default,
// description and the check its value must pass. The component's defaults, types and checks and
// the stack-config reader work from it; `npm run docs:config` writes Pulumi.yaml's config block
// and the README's table from it, and a test holds all three equal.
import { DeployTarget, RestartPolicy, ServiceType } from "./args";
import * as checks from "./checks";

export interface Setting {
    /** Stack config key, as Pulumi.yaml declares it. */
    readonly key: string;
    /** Where the value goes in FlaskAppArgs, e.g. `kubernetes.replicas`. */
    readonly path: string;
    readonly type: "string" | "integer" | "boolean" | "object" | "array";
    /** The default, in stack config and in the component alike. */
    readonly default: string | number | boolean | object;
    /**
     * The value that stands for "not set" (`""` for strings, `0` for a port); the setting then
     * stays unset, and `notSetMeans` says what applies instead.
     */
    readonly notSet?: string | number;
    /** What applies when the setting is not set, for the README. */
    readonly notSetMeans?: string;
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

/** Highest WEB_CONCURRENCY and WEB_TIMEOUT that app/server.py accepts; a test holds them equal. */
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
        notSet: "",
        notSetMeans: "the bundled `app/`",
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
        notSet: "",
        notSetMeans: "the Dockerfile's pinned `python:…-slim`",
        description:
            "BASE_IMAGE build argument, the Python base image. Empty means the Dockerfile's pinned default.",
        check: checks.imageReference,
    },
    {
        key: "pipIndexUrl",
        path: "image.buildArgs.PIP_INDEX_URL",
        type: "string",
        default: "",
        notSet: "",
        notSetMeans: "PyPI",
        description:
            "PIP_INDEX_URL build argument, a private Python package index. Empty means PyPI.",
        check: checks.httpUrl,
    },
    {
        key: "pipTrustedHost",
        path: "image.buildArgs.PIP_TRUSTED_HOST",
        type: "string",
        default: "",
        notSet: "",
        notSetMeans: "none",
        description:
            "PIP_TRUSTED_HOST build argument, a package index host reached over plain HTTP. Empty means none.",
        check: checks.hostName,
    },
    {
        key: "registryServer",
        path: "registry.server",
        type: "string",
        default: "",
        notSet: "",
        notSetMeans: "the host in `imageRepository`",
        description: "Registry host for the credentials. Empty means the host in imageRepository.",
        check: checks.registryHost,
    },
    {
        key: "registryUsername",
        path: "registry.username",
        type: "string",
        default: "",
        notSet: "",
        notSetMeans: "none (anonymous push)",
        description:
            "Registry user name. Empty means an anonymous push; when set, registryPassword is required.",
    },
    {
        key: "registryPassword",
        path: "registry.password",
        type: "string",
        default: "",
        notSet: "",
        notSetMeans: "none",
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
        notSet: "",
        notSetMeans: "the app's own",
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
        notSet: 0,
        notSetMeans: "one the cluster picks",
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
        notSet: "",
        notSetMeans: "the ambient kubeconfig",
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

/** Environment variables the component sets from its own settings (app/server.py reads them). */
export const runtimeEnvSettings = {
    PORT: "containerPort",
    WEB_CONCURRENCY: "workers",
    WEB_TIMEOUT: "requestTimeoutSeconds",
} as const satisfies Record<string, SettingPath>;
