import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";

import { dockerCpus, dockerMemoryMiB } from "./quantity";
import { appUid, runtimeEnv, standardLabels, stopTimeoutSeconds } from "./common";
import { FlaskAppSettings } from "./settings";

/** The URL that reaches a port published on `hostAddress`, from this host. */
export function dockerUrl(hostAddress: string, hostPort: number): string {
    const host =
        hostAddress === "0.0.0.0" ? "127.0.0.1" : hostAddress === "::" ? "::1" : hostAddress;
    return host.includes(":") ? `http://[${host}]:${hostPort}` : `http://${host}:${hostPort}`;
}

/** A healthcheck command that needs only the Python of the image, not a file of the app. */
export function healthcheckCommand(port: number, healthPath: string): string[] {
    const url = `http://127.0.0.1:${port}${healthPath}`;
    return [
        "CMD",
        "python3",
        "-c",
        `import urllib.request; urllib.request.urlopen(${JSON.stringify(url)}, timeout=2)`,
    ];
}

/**
 * Inputs of the `docker.Container` running `imageRef`: loopback-only port, limits, healthcheck,
 * and the hardening the Kubernetes target gets from its securityContext.
 */
export function containerArgs(
    settings: FlaskAppSettings,
    imageRef: pulumi.Input<string>,
): docker.ContainerArgs {
    const { docker: target, resources } = settings;
    const memory = dockerMemoryMiB(resources.memoryLimit);
    return {
        image: imageRef,
        envs: containerEnvs(settings),
        ports: [
            {
                internal: settings.containerPort,
                external: target.hostPort,
                ip: target.hostAddress,
                protocol: "tcp",
            },
        ],
        restart: target.restartPolicy,
        memory,
        // Equal to the memory limit: no swap on top of it.
        memorySwap: memory,
        cpus: dockerCpus(resources.cpuLimit),
        user: `${appUid}:${appUid}`,
        readOnly: true,
        tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges:true"],
        healthcheck: {
            tests: healthcheckCommand(settings.containerPort, settings.healthPath),
            interval: "10s",
            timeout: "3s",
            startPeriod: "10s",
            retries: 3,
        },
        // `docker stop` (and a daemon restart) gives the server time to drain its requests.
        stopTimeout: stopTimeoutSeconds(settings),
        // Without it the provider removes the container with force, a SIGKILL that cuts off the
        // requests in flight when `pulumi up` replaces it or `pulumi destroy` removes it.
        destroyGraceSeconds: stopTimeoutSeconds(settings),
        // `pulumi up` fails, rather than reports success, when the app never becomes healthy.
        wait: true,
        waitTimeout: target.healthyTimeoutSeconds,
        labels: Object.entries(standardLabels(settings)).map(([label, value]) => ({
            label,
            value,
        })),
    };
}

/** `KEY=value` lines, sorted for stable diffs; secret as a whole when any value is secret. */
export function containerEnvs(settings: FlaskAppSettings): pulumi.Output<string[]> {
    const entries: [string, pulumi.Input<string>][] = [
        ...Object.entries(runtimeEnv(settings)),
        ...Object.entries(settings.env),
        ...Object.entries(settings.secretEnv).map(([k, v]): [string, pulumi.Input<string>] => [
            k,
            pulumi.secret(v),
        ]),
    ];
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return pulumi.all(entries.map(([key, value]) => pulumi.interpolate`${key}=${value}`));
}
