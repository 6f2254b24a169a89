// The container both targets run, stated once: image, environment, user, filesystem, port, health
// route, limits and how long it may take to stop. Each target translates it into its own terms.
import * as pulumi from "@pulumi/pulumi";

import { FlaskAppSettings, valueAt } from "./settings";
import { runtimeEnvSettings } from "./settingsTable";

/** UID and GID the app runs as, in both targets; the bundled Dockerfile creates this user. */
const appUid = 10001;

/** Size of the writable in-memory `/tmp`, the only writable path: the root filesystem is read-only. */
export const tmpSizeMiB = 64;

/** Seconds allowed, past the drain of in-flight requests, for the server's processes to exit. */
const shutdownMarginSeconds = 5;

export interface EnvVar {
    readonly name: string;
    readonly value: pulumi.Input<string>;
    /** Kept secret: in state, outputs and, on Kubernetes, in a Secret rather than the pod spec. */
    readonly secret: boolean;
}

export interface ContainerSpec {
    /** The image, pinned by digest. */
    readonly image: pulumi.Input<string>;
    /** The component's own variables, then `env` and `secretEnv`, sorted by name for stable diffs. */
    readonly env: readonly EnvVar[];
    /** UID and GID; never root. */
    readonly user: number;
    /** What hardening both targets apply: no capabilities, no privilege escalation, a read-only root. */
    readonly hardening: {
        readonly readOnlyRootFilesystem: true;
        readonly dropCapabilities: "ALL";
        readonly noNewPrivileges: true;
        readonly seccomp: "runtime default";
    };
    readonly tmpSizeMiB: number;
    /** Port the app listens on. */
    readonly port: number;
    /** Route the health checks call. */
    readonly healthPath: string;
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
    /**
     * Seconds from SIGTERM until the runtime may kill the app: the server drains in-flight
     * requests for at most `requestTimeoutSeconds` (WEB_GRACEFUL_TIMEOUT defaults to
     * WEB_TIMEOUT), then exits.
     */
    readonly stopTimeoutSeconds: number;
    /** Standard `app.kubernetes.io/*` labels. */
    readonly labels: Record<string, string>;
    /** The labels that select the app's pods: derived from names only, so they never change. */
    readonly selectorLabels: Record<string, string>;
}

export function containerSpec(
    settings: FlaskAppSettings,
    image: pulumi.Input<string>,
): ContainerSpec {
    const selectorLabels = {
        "app.kubernetes.io/name": settings.appName,
        "app.kubernetes.io/instance": settings.name,
    };
    const runtime = Object.entries(runtimeEnvSettings).map(([name, setting]) => ({
        name,
        value: String(valueAt(settings, setting)),
        secret: false,
    }));
    const env: EnvVar[] = [
        ...runtime,
        ...Object.entries(settings.env).map(([name, value]) => ({ name, value, secret: false })),
        ...Object.entries(settings.secretEnv).map(([name, value]) => ({
            name,
            value: pulumi.secret(value),
            secret: true,
        })),
    ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return {
        image,
        env,
        user: appUid,
        hardening: {
            readOnlyRootFilesystem: true,
            dropCapabilities: "ALL",
            noNewPrivileges: true,
            seccomp: "runtime default",
        },
        tmpSizeMiB,
        port: settings.containerPort,
        healthPath: settings.healthPath,
        requests: { cpu: settings.resources.cpuRequest, memory: settings.resources.memoryRequest },
        limits: { cpu: settings.resources.cpuLimit, memory: settings.resources.memoryLimit },
        stopTimeoutSeconds: settings.requestTimeoutSeconds + shutdownMarginSeconds,
        labels: {
            ...selectorLabels,
            "app.kubernetes.io/component": "web",
            "app.kubernetes.io/managed-by": "pulumi",
        },
        selectorLabels,
    };
}

/** An http URL of a host name or address and a port; IPv6 addresses go in brackets. */
export function httpUrl(host: string, port: number): string {
    return host.includes(":") ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}
