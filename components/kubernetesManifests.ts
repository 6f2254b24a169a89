import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";

import {
    appUid,
    preStopSleepSeconds,
    runtimeEnv,
    selectorLabels,
    standardLabels,
    stopTimeoutSeconds,
} from "./common";
import { FlaskAppSettings } from "./settings";

type Input<T> = pulumi.Input<T>;

/** Name of the container in the pod, and of the port the probes and the Service use. */
export const containerName = "app";
export const portName = "http";

/** The Namespace, labelled so that Pod Security admission enforces the "restricted" profile. */
export function namespaceManifest(settings: FlaskAppSettings): k8s.types.input.core.v1.Namespace {
    return {
        metadata: {
            name: settings.kubernetes.namespace,
            labels: {
                ...standardLabels(settings),
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        },
    };
}

/** The `.dockerconfigjson` of an image pull Secret. */
export function dockerConfigJson(server: string, username: string, password: string): string {
    // Docker Hub credentials are keyed by its v1 index URL, not by its host name.
    const key = server === "docker.io" ? "https://index.docker.io/v1/" : server;
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [key]: { username, password, auth } } });
}

/** The fixed name of the image pull Secret. */
export function pullSecretName(settings: FlaskAppSettings): string {
    return `${settings.name}-registry`;
}

/** The image pull Secret for the registry credentials; the whole payload is secret. */
export function pullSecretManifest(
    settings: FlaskAppSettings,
    namespace: Input<string>,
): k8s.types.input.core.v1.Secret {
    const { server, username, password } = settings.registry;
    return {
        metadata: {
            name: pullSecretName(settings),
            namespace,
            labels: standardLabels(settings),
        },
        type: "kubernetes.io/dockerconfigjson",
        stringData: {
            ".dockerconfigjson": pulumi.secret(
                pulumi
                    .output(password)
                    .apply((p) => dockerConfigJson(server, username ?? "", p ?? "")),
            ),
        },
    };
}

/**
 * The Secret holding `secretEnv`. It has no fixed name: Pulumi gives it a new one when a value
 * changes, and the new name in the pod template rolls the Deployment out.
 */
export function envSecretManifest(
    settings: FlaskAppSettings,
    namespace: Input<string>,
): k8s.types.input.core.v1.Secret {
    return {
        metadata: { namespace, labels: standardLabels(settings) },
        type: "Opaque",
        stringData: Object.fromEntries(
            Object.entries(settings.secretEnv).map(([k, v]) => [k, pulumi.secret(v)]),
        ),
    };
}

/** Environment of the container: plain values inline, secret ones by reference to the env Secret. */
export function containerEnv(
    settings: FlaskAppSettings,
    envSecretName: Input<string> | undefined,
): k8s.types.input.core.v1.EnvVar[] {
    const plain = Object.entries({ ...runtimeEnv(settings), ...settings.env }).map(
        ([name, value]) => ({
            name,
            value,
        }),
    );
    const secret =
        envSecretName === undefined
            ? []
            : Object.keys(settings.secretEnv).map((name) => ({
                  name,
                  valueFrom: { secretKeyRef: { name: envSecretName, key: name } },
              }));
    return [...plain, ...secret].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The Deployment: digest-pinned image, probes, requests and limits, "restricted" securityContext. */
export function deploymentManifest(
    settings: FlaskAppSettings,
    refs: {
        namespace: Input<string>;
        imageRef: Input<string>;
        pullSecretName?: Input<string>;
        envSecretName?: Input<string>;
    },
): k8s.types.input.apps.v1.Deployment {
    const { resources, kubernetes, healthPath } = settings;
    const labels = standardLabels(settings);
    const probe = (periodSeconds: number, failureThreshold: number) => ({
        httpGet: { path: healthPath, port: portName },
        periodSeconds,
        timeoutSeconds: 2,
        failureThreshold,
    });
    return {
        metadata: { name: settings.name, namespace: refs.namespace, labels },
        spec: {
            replicas: kubernetes.replicas,
            selector: { matchLabels: selectorLabels(settings) },
            // Full capacity throughout a rollout: an old pod goes only once a new one is Ready.
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            template: {
                metadata: { labels },
                spec: {
                    automountServiceAccountToken: false,
                    // The preStop sleep, then the server's drain, then its exit; SIGKILL only after.
                    terminationGracePeriodSeconds:
                        preStopSleepSeconds + stopTimeoutSeconds(settings),
                    nodeSelector: isEmpty(kubernetes.nodeSelector)
                        ? undefined
                        : kubernetes.nodeSelector,
                    tolerations:
                        kubernetes.tolerations.length === 0 ? undefined : kubernetes.tolerations,
                    enableServiceLinks: false,
                    imagePullSecrets:
                        refs.pullSecretName === undefined
                            ? undefined
                            : [{ name: refs.pullSecretName }],
                    securityContext: {
                        runAsNonRoot: true,
                        runAsUser: appUid,
                        runAsGroup: appUid,
                        fsGroup: appUid,
                        seccompProfile: { type: "RuntimeDefault" },
                    },
                    containers: [
                        {
                            name: containerName,
                            image: refs.imageRef,
                            imagePullPolicy: "IfNotPresent",
                            ports: [
                                {
                                    name: portName,
                                    containerPort: settings.containerPort,
                                    protocol: "TCP",
                                },
                            ],
                            env: containerEnv(settings, refs.envSecretName),
                            resources: {
                                requests: {
                                    cpu: resources.cpuRequest,
                                    memory: resources.memoryRequest,
                                },
                                limits: { cpu: resources.cpuLimit, memory: resources.memoryLimit },
                            },
                            // Startup covers a slow first start, so liveness can be strict afterwards.
                            startupProbe: probe(2, 30),
                            readinessProbe: probe(5, 3),
                            livenessProbe: probe(10, 3),
                            // A terminating pod leaves the Service's endpoints at once, but
                            // kube-proxies and load balancers learn it a little later: keep
                            // serving until they have, then take SIGTERM. The kubelet's own sleep
                            // action: the image needs no shell or sleep binary.
                            lifecycle: { preStop: { sleep: { seconds: preStopSleepSeconds } } },
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                readOnlyRootFilesystem: true,
                                runAsNonRoot: true,
                                capabilities: { drop: ["ALL"] },
                                seccompProfile: { type: "RuntimeDefault" },
                            },
                            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                        },
                    ],
                    volumes: [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }],
                },
            },
        },
    };
}

function isEmpty(value: object): boolean {
    return Object.keys(value).length === 0;
}

/** The Service in front of the pods. */
export function serviceManifest(
    settings: FlaskAppSettings,
    namespace: Input<string>,
): k8s.types.input.core.v1.Service {
    const { kubernetes } = settings;
    return {
        metadata: { name: settings.name, namespace, labels: standardLabels(settings) },
        spec: {
            type: kubernetes.serviceType,
            selector: selectorLabels(settings),
            ports: [
                {
                    name: portName,
                    port: kubernetes.servicePort,
                    targetPort: portName,
                    protocol: "TCP",
                    nodePort: kubernetes.nodePort,
                },
            ],
        },
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
    if (!host) return undefined;
    return host.includes(":") ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}
