// The component's arguments: what callers pass, in TypeScript and, through the inferred package
// schema, in every other Pulumi language. Defaults live in the settings table (settings.ts).
import * as pulumi from "@pulumi/pulumi";

// Each choice is a named `as const` object: the one form of enum the component package's schema
// inference accepts (provider/).

/** Where the app runs. */
export const DeployTarget = { Docker: "docker", Kubernetes: "kubernetes" } as const;
export type DeployTarget = (typeof DeployTarget)[keyof typeof DeployTarget];

/** Docker's restart policy for the container. */
export const RestartPolicy = {
    No: "no",
    OnFailure: "on-failure",
    Always: "always",
    UnlessStopped: "unless-stopped",
} as const;
export type RestartPolicy = (typeof RestartPolicy)[keyof typeof RestartPolicy];

/** How the Kubernetes Service is exposed. */
export const ServiceType = {
    ClusterIP: "ClusterIP",
    NodePort: "NodePort",
    LoadBalancer: "LoadBalancer",
} as const;
export type ServiceType = (typeof ServiceType)[keyof typeof ServiceType];

/** How a toleration matches a taint. */
export const TolerationOperator = { Equal: "Equal", Exists: "Exists" } as const;
export type TolerationOperator = (typeof TolerationOperator)[keyof typeof TolerationOperator];

/** The effect of a taint a toleration matches. */
export const TaintEffect = {
    NoSchedule: "NoSchedule",
    PreferNoSchedule: "PreferNoSchedule",
    NoExecute: "NoExecute",
} as const;
export type TaintEffect = (typeof TaintEffect)[keyof typeof TaintEffect];

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
    /**
     * Mount the app folder read-only over the image's `/app` and turn on the server's in-place
     * reload, for the dev stack's watch mode (`npm run dev -- --watch`). Default `false`: the
     * container runs exactly the pushed image.
     */
    readonly liveUpdate?: boolean;
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
    /**
     * Let the pods open connections out, which their NetworkPolicy otherwise refuses, DNS
     * included. Default `false`: the bundled app calls nothing.
     */
    readonly allowEgress?: boolean;
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
