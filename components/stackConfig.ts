// Reads a stack's config into FlaskApp arguments. Every key, its type and its default is
// declared in the program's Pulumi.yaml; the defaults here are the same ones.
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";

import { DeployTarget, FlaskAppArgs, RestartPolicy, ServiceType } from "./settings";

/** Keys whose values must never sit in a stack file in plain text. */
const secretKeys = ["registryPassword", "kubeconfig"];

// The SDK tracks which keys the stack stores encrypted but does not declare the function.
const isConfigSecret = (runtimeConfig as unknown as { isConfigSecret(key: string): boolean })
    .isConfigSecret;

/** FlaskApp arguments from `config`; a key that is unset or empty takes its default. */
export function argsFromConfig(config: pulumi.Config): FlaskAppArgs {
    // Pulumi.yaml declares "" as the default of optional strings: "" means unset.
    const optional = (key: string) => config.get(key) || undefined;
    const registryUsername = optional("registryUsername");
    for (const key of secretKeys) {
        if (optional(key) !== undefined && !isConfigSecret(`${config.name}:${key}`)) {
            throw new pulumi.RunError(
                `\`${key}\` must be stored encrypted: set it with \`pulumi config set --secret ${key}\``,
            );
        }
    }
    const baseImage = optional("baseImage");
    const pipIndexUrl = optional("pipIndexUrl");
    const pipTrustedHost = optional("pipTrustedHost");
    const greeting = optional("greeting");
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
        env: greeting === undefined ? {} : { GREETING: greeting },
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
        },
    };
}
