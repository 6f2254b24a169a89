// The checks behind the policy pack, as pure functions of a resource's type and inputs: each
// returns the violations it finds, so that tests can call them without an engine.

/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are untyped JSON here */
type Props = Record<string, any>;

const workloadTypes = new Set([
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:batch/v1:Job",
]);
const dockerContainer = "docker:index/container:Container";
const kubernetesPod = "kubernetes:core/v1:Pod";

interface PodSpec {
    securityContext?: { runAsNonRoot?: boolean };
    containers?: ContainerSpec[];
    initContainers?: ContainerSpec[];
}
interface ContainerSpec {
    name?: string;
    image?: string;
    resources?: { limits?: { cpu?: string; memory?: string } };
    securityContext?: { runAsNonRoot?: boolean };
}

/** The pod spec of a Kubernetes workload or Pod, or undefined for any other type. */
function podSpec(type: string, props: Props): PodSpec | undefined {
    if (type === kubernetesPod) return props.spec ?? {};
    if (type === "kubernetes:batch/v1:CronJob")
        return props.spec?.jobTemplate?.spec?.template?.spec ?? {};
    if (workloadTypes.has(type)) return props.spec?.template?.spec ?? {};
    return undefined;
}

function containersOf(spec: PodSpec): ContainerSpec[] {
    return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

/** Every container has a CPU and a memory limit. */
export function missingLimits(type: string, props: Props): string[] {
    if (type === dockerContainer) {
        const missing = [
            !(props.memory > 0) && "memory",
            !props.cpus && !props.cpuQuota && "cpus",
        ].filter(Boolean);
        return missing.length === 0 ? [] : [`the container sets no ${missing.join(" or ")} limit`];
    }
    const spec = podSpec(type, props);
    if (!spec) return [];
    return containersOf(spec).flatMap((c) => {
        const missing = ["cpu", "memory"].filter(
            (r) => !c.resources?.limits?.[r as "cpu" | "memory"],
        );
        return missing.length === 0
            ? []
            : [`container "${c.name}" sets no ${missing.join(" or ")} limit`];
    });
}

/** True when `image` is pinned by digest, or carries a tag other than `latest`. */
export function isPinnedImage(image: string): boolean {
    if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
    const lastPart = image.slice(image.lastIndexOf("/") + 1);
    const colon = lastPart.indexOf(":");
    return colon !== -1 && lastPart.slice(colon + 1) !== "latest";
}

/** No image is `latest` or untagged unless it is pinned by digest. */
export function unpinnedImages(type: string, props: Props): string[] {
    const images =
        type === dockerContainer
            ? [String(props.image ?? "")]
            : containersOf(podSpec(type, props) ?? {}).map((c) => String(c.image ?? ""));
    return images
        .filter((image) => !isPinnedImage(image))
        .map(
            (image) => `image "${image}" is untagged or "latest"; pin it by digest or a fixed tag`,
        );
}

/** Containers do not run as root. */
export function rootContainers(type: string, props: Props): string[] {
    if (type === dockerContainer) {
        const user = String(props.user ?? "");
        const name = user.split(":")[0];
        return name === "" || name === "0" || name === "root"
            ? [
                  `the container runs as ${user === "" ? "the image's user" : `"${user}"`}; set a non-root \`user\``,
              ]
            : [];
    }
    const spec = podSpec(type, props);
    if (!spec) return [];
    const podLevel = spec.securityContext?.runAsNonRoot === true;
    return containersOf(spec)
        .filter((c) => (c.securityContext?.runAsNonRoot ?? podLevel) !== true)
        .map((c) => `container "${c.name}" does not set runAsNonRoot: true`);
}

const loopback = (address: string) => /^127\./.test(address) || address === "::1";

/** Docker ports are published on loopback only, unless the address is in `allowedAddresses`. */
export function exposedPorts(type: string, props: Props, allowedAddresses: string[]): string[] {
    if (type !== dockerContainer) return [];
    return (props.ports ?? [])
        .filter(
            (p: { ip?: string }) =>
                !loopback(p.ip ?? "0.0.0.0") && !allowedAddresses.includes(p.ip ?? "0.0.0.0"),
        )
        .map(
            (p: { ip?: string; external?: number; internal: number }) =>
                `port ${p.internal} is published on ${p.ip ?? "0.0.0.0"}` +
                (p.external ? `:${p.external}` : "") +
                "; publish it on 127.0.0.1 or allow the address in the policy's `allowedAddresses`",
        );
}
