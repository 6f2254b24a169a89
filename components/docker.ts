// The docker target: the container on the local Docker Engine, on a network of its own, with the
// port published on one host address.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";

import { ContainerSpec, httpUrl } from "./container";
import {
    dockerCpus,
    dockerMemoryMiB,
    isCpuQuantity,
    isMemoryQuantity,
    parseQuantity,
} from "./quantity";
import { FlaskAppSettings } from "./settings";
import { show } from "./checks";

/** Docker's own floors for a container's CPU limit (`--cpus`) and memory limit. */
const minimumCpus = 0.01;
const minimumMemoryBytes = 6 * 1024 * 1024;

/**
 * Processes and threads the app's user may run: a fork bomb stops here. Docker's `--pids-limit`
 * would bound the container alone, but the provider has no input for it; this ulimit counts every
 * process of UID 10001 on the host, which only the app's containers use.
 */
const processLimit = 1024;

/** Size and count of the json-file log's files: the log never grows past their product. */
const logRotation = { "max-size": "10m", "max-file": "3" };

export interface DockerChildren {
    /** The network the container alone is on, with inter-container traffic off. */
    readonly network: docker.Network;
    readonly container: docker.Container;
}

/** Problems of the settings that only the docker target reads, beyond each value's check. */
export function checkDocker(settings: FlaskAppSettings): string[] {
    const { cpuLimit: cpu, memoryLimit: memory } = settings.resources;
    // A limit that is not a quantity is reported by its own check.
    return [
        ...(isCpuQuantity(cpu) && parseQuantity(cpu)! < minimumCpus
            ? [
                  `\`resources.cpuLimit\` must be at least "10m" on the docker target; got ${show(cpu)}`,
              ]
            : []),
        ...(isMemoryQuantity(memory) && parseQuantity(memory)! < minimumMemoryBytes
            ? [
                  `\`resources.memoryLimit\` must be at least "6Mi" on the docker target; got ${show(memory)}`,
              ]
            : []),
    ];
}

/** The URL that reaches a port published on `hostAddress`, from this host. */
function dockerUrl(hostAddress: string, hostPort: number): string {
    const host =
        hostAddress === "0.0.0.0" ? "127.0.0.1" : hostAddress === "::" ? "::1" : hostAddress;
    return httpUrl(host, hostPort);
}

/**
 * A healthcheck command that needs only the Python of the image, not a file of the app: one
 * HTTP/1.0 GET on a raw socket, healthy on a 2xx or 3xx status. `-I -S` skips the site packages
 * and the environment, so each probe costs an interpreter start and nothing more.
 */
function healthcheckCommand(port: number, healthPath: string): string[] {
    const request = JSON.stringify(`GET ${healthPath} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`);
    return [
        "CMD",
        "python3",
        "-I",
        "-S",
        "-c",
        `import socket; s = socket.create_connection(("127.0.0.1", ${port}), 2); ` +
            `s.sendall(${request}.encode()); ` +
            `raise SystemExit(s.recv(12)[9:10] not in (b"2", b"3"))`,
    ];
}

/**
 * When Docker probes the container: the first probe runs one `interval` after the start, and
 * `pulumi up` waits for it, so `interval` is the least an `up` that replaces the container
 * takes. Engines from 25 on could probe faster until healthy (`startInterval`), but the Docker
 * client refuses to create a container with it on an older engine (API below 1.44, such as
 * Debian 12's 20.10), so it is not set. BENCHMARKS.md ("The inner loop") has what a probe costs.
 * Durations are written as the provider reads them back ("30s", not "1m0s"), or every `up`
 * shows a change.
 */
const healthcheckTiming = { interval: "2s", timeout: "3s", startPeriod: "30s", retries: 3 };

/** Inputs of the `docker.Container` that runs `spec`, on `network`. */
export function containerArgs(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
    network: pulumi.Input<string>,
): docker.ContainerArgs {
    const { docker: dockerSettings } = settings;
    const memory = dockerMemoryMiB(spec.limits.memory);
    return {
        image: spec.image,
        envs: containerEnvs(spec, dockerSettings.liveUpdate),
        networkMode: network,
        ports: [
            {
                internal: spec.port,
                external: dockerSettings.hostPort,
                ip: dockerSettings.hostAddress,
                protocol: "tcp",
            },
        ],
        restart: dockerSettings.restartPolicy,
        memory,
        // Equal to the memory limit: no swap on top of it.
        memorySwap: memory,
        cpus: dockerCpus(spec.limits.cpu),
        ulimits: [{ name: "nproc", soft: processLimit, hard: processLimit }],
        user: `${spec.user}:${spec.user}`,
        readOnly: spec.hardening.readOnlyRootFilesystem,
        tmpfs: { "/tmp": `rw,noexec,nosuid,size=${spec.tmpSizeMiB}m` },
        capabilities: { drops: [spec.hardening.dropCapabilities] },
        // Docker applies its default seccomp profile unless told otherwise.
        securityOpts: [`no-new-privileges:${spec.hardening.noNewPrivileges}`],
        logDriver: "json-file",
        logOpts: logRotation,
        healthcheck: {
            tests: healthcheckCommand(spec.port, spec.healthPath),
            ...healthcheckTiming,
        },
        ...(dockerSettings.liveUpdate && liveUpdateMount(settings.appPath)),
        // `docker stop` (and a daemon restart) gives the server time to drain its requests.
        stopTimeout: spec.stopTimeoutSeconds,
        // Without it the provider removes the container with force, a SIGKILL that cuts off the
        // requests in flight when `pulumi up` replaces it or `pulumi destroy` removes it.
        destroyGraceSeconds: spec.stopTimeoutSeconds,
        // `pulumi up` fails, rather than reports success, when the app never becomes healthy.
        wait: true,
        waitTimeout: dockerSettings.healthyTimeoutSeconds,
        labels: Object.entries(spec.labels).map(([label, value]) => ({ label, value })),
    };
}

/**
 * The app folder, read-only over the image's `/app`: the server's in-place reload (`python -m
 * server reload`, app/server.py) finds saved code there without a new image.
 */
function liveUpdateMount(appPath: string): Pick<docker.ContainerArgs, "mounts"> {
    return {
        mounts: [{ type: "bind", source: path.resolve(appPath), target: "/app", readOnly: true }],
    };
}

/**
 * `KEY=value` lines in the spec's order, with the server's reload switched on for live update
 * (and the route it checks new code with); secret as a whole when any value is secret.
 */
function containerEnvs(spec: ContainerSpec, liveUpdate: boolean): pulumi.Output<string[]> {
    const reload = [
        { name: "WEB_HEALTH_PATH", value: spec.healthPath },
        { name: "WEB_RELOAD", value: "1" },
    ];
    const env = liveUpdate ? [...spec.env, ...reload] : spec.env;
    return pulumi.all(env.map(({ name, value }) => pulumi.interpolate`${name}=${value}`));
}

/** Registers the network and the container under `parent`. */
export function deployDocker(
    settings: FlaskAppSettings,
    spec: ContainerSpec,
    parent: pulumi.Resource,
): { children: DockerChildren; url: pulumi.Output<string> } {
    const { name } = settings;
    const network = new docker.Network(
        `${name}-network`,
        {
            driver: "bridge",
            // Containers on the network cannot reach each other; the published port still works.
            options: { "com.docker.network.bridge.enable_icc": "false" },
            labels: Object.entries(spec.labels).map(([label, value]) => ({ label, value })),
        },
        { parent },
    );
    const container = new docker.Container(
        `${name}-container`,
        containerArgs(settings, spec, network.name),
        { parent },
    );
    return {
        children: { network, container },
        url: pulumi.output(dockerUrl(settings.docker.hostAddress, settings.docker.hostPort)),
    };
}
