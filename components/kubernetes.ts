// The kubernetes target: the objects that run the container spec on a cluster, each computed by
// a pure function of its own, then registered. Their cross-references (namespace, pull Secret,
// env Secret, pod labels) are set by the helpers below, in one place.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";

import { isDnsLabel, show } from "./checks";
import { ContainerSpec, httpUrl } from "./container";
import { FlaskAppSettings, bundledAppPath } from "./settings";

type Input<T> = pulumi.Input<T>;

/** Name of the container in the pod, and of the port the probes and the Service use. */
const containerName = "app";
const portName = "http";

/**
 * Seconds a pod keeps serving after it is marked for deletion, before SIGTERM: the endpoints
 * controller and every kube-proxy need that long to stop sending it new connections.
 */
export const preStopSleepSeconds = 5;

/** Where the env Secret's values appear as files; app/server.py reads them into the environment. */
const secretEnvDir = "/run/secrets/env";

/**
 * Local disk the container may use: it writes none itself (its root is read-only and `/tmp` is
 * in memory), but its logs count, and the kubelet rotates them at 10Mi.
 */
const ephemeralStorage = { request: "64Mi", limit: "256Mi" };

/** The lowest port a process without `CAP_NET_BIND_SERVICE` may bind. */
const firstUnprivilegedPort = 1024;

/** Namespaces every cluster has, which the component must never create or delete. */
const clusterNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** What the kubernetes target creates; the optional ones only when the settings call for them. */
export interface KubernetesObjects {
    /** Labelled so that Pod Security admission enforces the "restricted" profile. */
    readonly namespace?: k8s.types.input.core.v1.Namespace;
    /** The registry credentials, under a fixed name. */
    readonly pullSecret?: k8s.types.input.core.v1.Secret;
    /** `secretEnv`, under `names.envSecret`. */
    readonly envSecret?: k8s.types.input.core.v1.Secret;
    readonly deployment: k8s.types.input.apps.v1.Deployment;
    readonly service: k8s.types.input.core.v1.Service;
    /** Lets traffic in to the app's port only, and none out. */
    readonly networkPolicy: k8s.types.input.networking.v1.NetworkPolicy;
    /** Keeps all replicas but one up through a node drain. */
    readonly disruptionBudget: k8s.types.input.policy.v1.PodDisruptionBudget;
}

/** The apiVersion and kind of each object, which Pulumi's resource classes set themselves. */
export const objectKinds: Record<keyof KubernetesObjects, readonly [string, string]> = {
    namespace: ["v1", "Namespace"],
    pullSecret: ["v1", "Secret"],
    envSecret: ["v1", "Secret"],
    networkPolicy: ["networking.k8s.io/v1", "NetworkPolicy"],
    disruptionBudget: ["policy/v1", "PodDisruptionBudget"],
    deployment: ["apps/v1", "Deployment"],
    service: ["v1", "Service"],
};

export interface KubernetesChildren {
    readonly provider?: k8s.Provider;
    readonly namespace?: k8s.core.v1.Namespace;
    readonly pullSecret?: k8s.core.v1.Secret;
    readonly envSecret?: k8s.core.v1.Secret;
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
    readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget;
}

/** Problems of the settings that only the kubernetes target reads, beyond each value's check. */
export function checkKubernetes(settings: FlaskAppSettings): string[] {
    const { name, containerPort, kubernetes } = settings;
    return [
        // The name of every object, the Service's included, which the API server holds to the
        // stricter DNS-1035 rule: a letter first.
        ...(isDnsLabel(name) && /^[a-z]/.test(name)
            ? []
            : [
                  `the component name must be a DNS label starting with a letter (lowercase letters, digits and "-", at most 63) on the kubernetes target, as Service names are; got ${show(name)}`,
              ]),
        ...(kubernetes.nodePort !== undefined && kubernetes.serviceType === "ClusterIP"
            ? [
                  '`kubernetes.nodePort` needs `kubernetes.serviceType` "NodePort" or "LoadBalancer"; got "ClusterIP"',
              ]
            : []),
        // Container runtimes let a process without capabilities bind only ports from 1024 up,
        // unless the node's runtime is configured otherwise; the Service can still listen on 80.
        // A port that is not one at all is reported by its own check.
        ...(Number.isInteger(containerPort) &&
        containerPort >= 1 &&
        containerPort < firstUnprivilegedPort
            ? [
                  `\`containerPort\` must be ${firstUnprivilegedPort} or above on the kubernetes target: the app runs as a user with every capability dropped, which may not bind a lower port (set \`kubernetes.servicePort\` for the port clients use); got ${containerPort}`,
              ]
            : []),
        ...(kubernetes.createNamespace === true && clusterNamespaces.includes(kubernetes.namespace)
            ? [
                  `\`kubernetes.createNamespace\` must be false for ${show(kubernetes.namespace)}, a namespace of the cluster's own that \`pulumi destroy\` would delete; choose another \`kubernetes.namespace\` or leave \`createNamespace\` false`,
              ]
            : []),
    ];
}

/** The `.dockerconfigjson` of an image pull Secret. */
function dockerConfigJson(server: string, username: string, password: string): string {
    // Docker Hub credentials are keyed by its v1 index URL, not by its host name.
    const key = server === "docker.io" ? "https://index.docker.io/v1/" : server;
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [key]: { username, password, auth } } });
}

/**
 * Every object the kubernetes target creates for `spec`, for the tests and the scanners; the
 * component registers each builder's object itself. `names.envSecret` is the env Secret's name:
 * it must change whenever a value does, so that the Deployment rolls out.
 */
export function kubernetesObjects(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
    names: { envSecret?: Input<string> } = {},
): KubernetesObjects {
    return {
        namespace: namespaceObject(settings, spec),
        pullSecret: pullSecretObject(settings, spec),
        envSecret: envSecretObject(settings, spec, names.envSecret),
        deployment: deploymentObject(settings, spec, names.envSecret),
        service: serviceObject(settings, spec),
        networkPolicy: networkPolicyObject(settings, spec),
        disruptionBudget: disruptionBudgetObject(settings, spec),
    };
}

/** The metadata of each object in the app's namespace. */
function metadata(settings: FlaskAppSettings, spec: ContainerSpec, name?: Input<string>) {
    return { name, namespace: settings.kubernetes.namespace, labels: spec.labels };
}

/** The app's pods, as the Deployment, the NetworkPolicy and the disruption budget select them. */
function podSelector(spec: ContainerSpec) {
    return { matchLabels: spec.selectorLabels };
}

/** The image pull Secret's fixed name. */
function pullSecretName(settings: FlaskAppSettings): string {
    return `${settings.name}-registry`;
}

function hasSecretEnv(spec: ContainerSpec): boolean {
    return spec.env.some((e) => e.secret);
}

/** The namespace, when `createNamespace` asks for it. */
function namespaceObject(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
): k8s.types.input.core.v1.Namespace | undefined {
    if (!settings.kubernetes.createNamespace) return undefined;
    return {
        metadata: {
            name: settings.kubernetes.namespace,
            labels: {
                ...spec.labels,
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        },
    };
}

/** The image pull Secret, when the registry has credentials. */
function pullSecretObject(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
): k8s.types.input.core.v1.Secret | undefined {
    const { registry } = settings;
    const credentials = registry.credentials;
    if (!credentials) return undefined;
    return {
        metadata: metadata(settings, spec, pullSecretName(settings)),
        type: "kubernetes.io/dockerconfigjson",
        stringData: {
            ".dockerconfigjson": pulumi.secret(
                pulumi
                    .output(credentials.password)
                    .apply((p) => dockerConfigJson(registry.server, credentials.username, p)),
            ),
        },
    };
}

/** The env Secret, when there is `secretEnv`; without `name`, Pulumi names it. */
function envSecretObject(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
    name?: Input<string>,
): k8s.types.input.core.v1.Secret | undefined {
    if (!hasSecretEnv(spec)) return undefined;
    return {
        metadata: metadata(settings, spec, name),
        type: "Opaque",
        stringData: Object.fromEntries(
            spec.env.filter((e) => e.secret).map((e) => [e.name, e.value]),
        ),
    };
}

/** The Deployment, its pods mounting the env Secret named `envSecretName`. */
function deploymentObject(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
    envSecretName?: Input<string>,
): k8s.types.input.apps.v1.Deployment {
    return {
        metadata: metadata(settings, spec, settings.name),
        spec: {
            replicas: settings.kubernetes.replicas,
            selector: podSelector(spec),
            // Full capacity throughout a rollout: an old pod goes only once a new one is Ready.
            strategy: {
                type: "RollingUpdate",
                rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
            },
            template: {
                metadata: { labels: spec.labels },
                spec: podSpec(settings, spec, envSecretName),
            },
        },
    };
}

function podSpec(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
    envSecretName?: Input<string>,
): k8s.types.input.core.v1.PodSpec {
    const cluster = settings.kubernetes;
    return {
        automountServiceAccountToken: false,
        // The preStop sleep, then the server's drain, then its exit; SIGKILL only after.
        terminationGracePeriodSeconds: preStopSleepSeconds + spec.stopTimeoutSeconds,
        nodeSelector: isEmpty(cluster.nodeSelector) ? undefined : cluster.nodeSelector,
        tolerations: cluster.tolerations.length === 0 ? undefined : cluster.tolerations,
        // Replicas on different nodes where the cluster has them; never unschedulable.
        affinity: {
            podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                        weight: 100,
                        podAffinityTerm: {
                            labelSelector: podSelector(spec),
                            topologyKey: "kubernetes.io/hostname",
                        },
                    },
                ],
            },
        },
        enableServiceLinks: false,
        imagePullSecrets: settings.registry.credentials && [{ name: pullSecretName(settings) }],
        securityContext: {
            runAsNonRoot: true,
            runAsUser: spec.user,
            runAsGroup: spec.user,
            fsGroup: spec.user,
            seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [appContainer(settings, spec)],
        volumes: [
            {
                name: "tmp",
                emptyDir: { medium: "Memory", sizeLimit: `${spec.tmpSizeMiB}Mi` },
            },
            ...(hasSecretEnv(spec)
                ? [{ name: "env", secret: { secretName: envSecretName, defaultMode: 0o400 } }]
                : []),
        ],
    };
}

/** The app's container: `spec`, with probes on its health route and a preStop drain. */
function appContainer(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
): k8s.types.input.core.v1.Container {
    const secretEnv = hasSecretEnv(spec);
    const probe = (periodSeconds: number, timeoutSeconds: number, failureThreshold: number) => ({
        httpGet: { path: spec.healthPath, port: portName },
        periodSeconds,
        timeoutSeconds,
        failureThreshold,
    });
    return {
        name: containerName,
        image: spec.image,
        imagePullPolicy: "IfNotPresent",
        ports: [{ name: portName, containerPort: spec.port, protocol: "TCP" }],
        env: [
            ...spec.env.filter((e) => !e.secret).map(({ name, value }) => ({ name, value })),
            ...(secretEnv ? [{ name: "WEB_ENV_DIR", value: secretEnvDir }] : []),
        ],
        resources: {
            requests: { ...spec.requests, "ephemeral-storage": ephemeralStorage.request },
            limits: { ...spec.limits, "ephemeral-storage": ephemeralStorage.limit },
        },
        // Startup covers a slow first start, so liveness can be strict afterwards.
        startupProbe: probe(2, 2, 30),
        // Out of the Service after 15 s of slow answers; restarted only after a minute without
        // one, so a saturated pod is not killed.
        readinessProbe: probe(5, 2, 3),
        livenessProbe: probe(10, 5, 6),
        // A terminating pod leaves the Service's endpoints at once, but kube-proxies and load
        // balancers learn it a little later: keep serving until they have, then take SIGTERM.
        lifecycle: { preStop: preStopHandler(settings) },
        securityContext: {
            allowPrivilegeEscalation: !spec.hardening.noNewPrivileges,
            readOnlyRootFilesystem: spec.hardening.readOnlyRootFilesystem,
            runAsNonRoot: true,
            capabilities: { drop: [spec.hardening.dropCapabilities] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        volumeMounts: [
            { name: "tmp", mountPath: "/tmp" },
            ...(secretEnv ? [{ name: "env", mountPath: secretEnvDir, readOnly: true }] : []),
        ],
    };
}

function serviceObject(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
): k8s.types.input.core.v1.Service {
    const cluster = settings.kubernetes;
    return {
        metadata: metadata(settings, spec, settings.name),
        spec: {
            type: cluster.serviceType,
            selector: spec.selectorLabels,
            ports: [
                {
                    name: portName,
                    port: cluster.servicePort,
                    targetPort: portName,
                    protocol: "TCP",
                    nodePort: cluster.nodePort,
                },
            ],
        },
    };
}

function networkPolicyObject(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
): k8s.types.input.networking.v1.NetworkPolicy {
    return {
        metadata: metadata(settings, spec, settings.name),
        spec: {
            podSelector: podSelector(spec),
            policyTypes: ["Ingress", "Egress"],
            // From anywhere, as the Service's type allows, but to the app's port only.
            ingress: [{ ports: [{ port: portName, protocol: "TCP" }] }],
            egress: settings.kubernetes.allowEgress ? [{}] : [],
        },
    };
}

function disruptionBudgetObject(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
): k8s.types.input.policy.v1.PodDisruptionBudget {
    return {
        metadata: metadata(settings, spec, settings.name),
        spec: { selector: podSelector(spec), maxUnavailable: 1 },
    };
}

/**
 * The bundled server's own `drain` command (app/server.py) sleeps like the kubelet's sleep action
 * and meanwhile answers `Connection: close`, so that keep-alive clients have left when SIGTERM
 * closes idle connections. It runs on the image's Python: the image has no shell. Another app's
 * image may lack both, and a failed hook would skip the sleep: it gets the sleep action.
 */
function preStopHandler(settings: FlaskAppSettings): k8s.types.input.core.v1.LifecycleHandler {
    return path.resolve(settings.appPath) === path.resolve(bundledAppPath())
        ? { exec: { command: ["python", "-m", "server", "drain", String(preStopSleepSeconds)] } }
        : { sleep: { seconds: preStopSleepSeconds } };
}

function isEmpty(value: object): boolean {
    return Object.keys(value).length === 0;
}

/** Registers each object under `parent`, in the order they need. */
export function deployKubernetes(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
    parent: pulumi.Resource,
): {
    children: KubernetesChildren;
    url: pulumi.Output<string>;
    externalUrl: pulumi.Output<string | undefined>;
} {
    // Loaded here, not at the top: a docker stack never pays for the Kubernetes SDK.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk: typeof k8s = require("@pulumi/kubernetes");
    const { name, kubernetes: cluster } = settings;
    // Without a kubeconfig the children inherit the component's `providers`, like any child.
    const provider =
        cluster.kubeconfig === undefined
            ? undefined
            : new sdk.Provider(
                  `${name}-k8s`,
                  { kubeconfig: pulumi.secret(cluster.kubeconfig) },
                  { parent },
              );
    const namespaceArgs = namespaceObject(settings, spec);
    const namespace =
        namespaceArgs &&
        new sdk.core.v1.Namespace(`${name}-namespace`, namespaceArgs, { parent, provider });
    const opts: pulumi.CustomResourceOptions = { parent, provider, dependsOn: namespace };
    // No fixed name: Pulumi gives the env Secret a new one when a value changes, and the new name
    // in the pod template rolls the Deployment out.
    const envSecretArgs = envSecretObject(settings, spec);
    const envSecret = envSecretArgs && new sdk.core.v1.Secret(`${name}-env`, envSecretArgs, opts);
    // The Deployment names the pull Secret by its fixed name, not by the Secret's output: the
    // Secret is replaced (deleted first) when the credentials change, and a property that
    // depends on it would make the engine replace the Deployment with it. dependsOn orders them.
    const pullSecretArgs = pullSecretObject(settings, spec);
    const pullSecret =
        pullSecretArgs && new sdk.core.v1.Secret(`${name}-pull-secret`, pullSecretArgs, opts);
    const timeout = `${cluster.awaitTimeoutSeconds}s`;
    const awaitOpts = { ...opts, customTimeouts: { create: timeout, update: timeout } };
    const networkPolicy = new sdk.networking.v1.NetworkPolicy(
        `${name}-network-policy`,
        networkPolicyObject(settings, spec),
        opts,
    );
    const disruptionBudget = new sdk.policy.v1.PodDisruptionBudget(
        `${name}-disruption-budget`,
        disruptionBudgetObject(settings, spec),
        opts,
    );
    const deployment = new sdk.apps.v1.Deployment(
        `${name}-deployment`,
        deploymentObject(settings, spec, envSecret?.metadata.name),
        {
            ...awaitOpts,
            dependsOn: [...(namespace ? [namespace] : []), ...(pullSecret ? [pullSecret] : [])],
        },
    );
    const service = new sdk.core.v1.Service(`${name}-service`, serviceObject(settings, spec), {
        ...awaitOpts,
        dependsOn: [deployment],
    });

    const port = cluster.servicePort;
    return {
        children: {
            provider,
            namespace,
            pullSecret,
            envSecret,
            deployment,
            service,
            networkPolicy,
            disruptionBudget,
        },
        url: pulumi
            .all([service.metadata.name, service.metadata.namespace])
            .apply(([svc, ns]) => clusterUrl(svc, ns, port)),
        externalUrl: service.status.apply((status) => externalUrl(status, port)),
    };
}

/** The in-cluster URL of a Service. */
export function clusterUrl(serviceName: string, namespace: string, port: number): string {
    return `http://${serviceName}.${namespace}.svc.cluster.local:${port}`;
}

/** The external URL of a LoadBalancer Service, once the cluster has given it an address. */
export function externalUrl(
    status: k8s.types.output.core.v1.ServiceStatus | undefined,
    port: number,
): string | undefined {
    const ingress = status?.loadBalancer?.ingress?.[0];
    const host = ingress?.hostname || ingress?.ip;
    return host ? httpUrl(host, port) : undefined;
}
