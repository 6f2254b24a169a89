// Prints the Kubernetes objects the component computes for a representative hardened stack, as
// multi-document YAML with apiVersion and kind, for the scanners of scripts/scan.sh to read.
// Every secret value is a placeholder. Usage: npx ts-node tools/renderManifests.ts
import * as yaml from "js-yaml";

import {
    FlaskAppArgs,
    FlaskAppSettings,
    deploymentManifest,
    envSecretManifest,
    namespaceManifest,
    pullSecretManifest,
    pullSecretName,
    resolveSettings,
    serviceManifest,
} from "../components";
import { promiseOf } from "../test/promiseOf";

/** Stands in for every secret value, so that the rendered YAML holds none. */
export const placeholder = "PLACEHOLDER";

/**
 * A stack with every object the kubernetes target can create: its own namespace, registry
 * credentials (so an image pull Secret), a secret env entry (so an env Secret), and the defaults
 * for everything else, ClusterIP Service included.
 */
export const representativeArgs: FlaskAppArgs = {
    target: "kubernetes",
    image: { repository: "registry.example.com/shop/web" },
    registry: { username: "ci", password: placeholder },
    secretEnv: { API_KEY: placeholder },
    kubernetes: { namespace: "shop", createNamespace: true },
};

/** The digest-pinned reference the image push would return. */
const imageRef = `${representativeArgs.image.repository}@sha256:${"0".repeat(64)}`;

interface KubernetesObject {
    apiVersion: string;
    kind: string;
    [field: string]: unknown;
}

/**
 * Every Kubernetes object of a stack, with the names Pulumi would give them. This is the only
 * place that wires the manifest functions together: once the component computes all its objects
 * in one function, this calls that instead.
 */
export function kubernetesObjects(settings: FlaskAppSettings): KubernetesObject[] {
    const namespace = settings.kubernetes.namespace;
    // Pulumi gives the env Secret a generated name; any valid one serves here.
    const envSecretName = `${settings.name}-env-0000000`;
    const envSecret = envSecretManifest(settings, namespace);
    return [
        object("v1", "Namespace", namespaceManifest(settings)),
        object("v1", "Secret", pullSecretManifest(settings, namespace)),
        object("v1", "Secret", {
            ...envSecret,
            metadata: { ...envSecret.metadata, name: envSecretName },
        }),
        object(
            "apps/v1",
            "Deployment",
            deploymentManifest(settings, {
                namespace,
                imageRef,
                pullSecretName: pullSecretName(settings),
                envSecretName,
            }),
        ),
        object("v1", "Service", serviceManifest(settings, namespace)),
    ];
}

// The component's Pulumi resource classes set apiVersion and kind; a file needs them inline.
function object(apiVersion: string, kind: string, manifest: object): KubernetesObject {
    return { apiVersion, kind, ...manifest };
}

/** The objects as multi-document YAML, every Output resolved. */
export async function renderManifests(settings: FlaskAppSettings): Promise<string> {
    const objects = await Promise.all(kubernetesObjects(settings).map((o) => promiseOf(o)));
    return objects.map((o) => yaml.dump(o, { noRefs: true, lineWidth: -1 })).join("---\n");
}

if (require.main === module) {
    renderManifests(resolveSettings("web", representativeArgs)).then(
        (text) => process.stdout.write(text),
        (err) => {
            console.error(err);
            process.exit(1);
        },
    );
}
