// Turns the `docker.Container` inputs the component computes into `docker run` flags, so that
// the image can be proven against a real engine with exactly those settings.

/**
 * `docker run` arguments for resolved `docker.ContainerArgs` (no Outputs left in them); throws on
 * any input it does not know how to carry over, so that a new setting cannot go untested.
 */
export function dockerRunArgs(args: Record<string, unknown>, name: string): string[] {
    const flags: string[] = ["--detach", "--name", name];
    for (const [key, value] of Object.entries(args)) {
        if (value === undefined) continue;
        switch (key) {
            case "image":
                break;
            case "envs":
                for (const env of value as string[]) flags.push("--env", env);
                break;
            case "ports":
                for (const p of value as {
                    internal: number;
                    external: number;
                    ip: string;
                    protocol: string;
                }[]) {
                    const ip = p.ip.includes(":") ? `[${p.ip}]` : p.ip;
                    flags.push("--publish", `${ip}:${p.external}:${p.internal}/${p.protocol}`);
                }
                break;
            case "restart":
                flags.push("--restart", String(value));
                break;
            case "memory":
                flags.push("--memory", `${value}m`);
                break;
            case "memorySwap":
                flags.push("--memory-swap", `${value}m`);
                break;
            case "cpus":
                flags.push("--cpus", String(value));
                break;
            case "user":
                flags.push("--user", String(value));
                break;
            case "readOnly":
                if (value) flags.push("--read-only");
                break;
            case "tmpfs":
                for (const [path, options] of Object.entries(value as Record<string, string>)) {
                    flags.push("--tmpfs", `${path}:${options}`);
                }
                break;
            case "capabilities":
                for (const cap of (value as { drops?: string[] }).drops ?? [])
                    flags.push("--cap-drop", cap);
                for (const cap of (value as { adds?: string[] }).adds ?? [])
                    flags.push("--cap-add", cap);
                break;
            case "securityOpts":
                for (const opt of value as string[]) flags.push("--security-opt", opt);
                break;
            case "healthcheck": {
                const hc = value as {
                    tests: string[];
                    interval: string;
                    timeout: string;
                    startPeriod: string;
                    retries: number;
                };
                if (hc.tests[0] !== "CMD")
                    throw new Error(`healthcheck form ${hc.tests[0]} is not carried over`);
                // `docker run` takes a shell command; quote each argument of the exec form.
                const command = hc.tests
                    .slice(1)
                    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
                    .join(" ");
                flags.push(
                    "--health-cmd",
                    command,
                    "--health-interval",
                    hc.interval,
                    "--health-timeout",
                    hc.timeout,
                    "--health-start-period",
                    hc.startPeriod,
                    "--health-retries",
                    String(hc.retries),
                );
                break;
            }
            case "labels":
                for (const l of value as { label: string; value: string }[])
                    flags.push("--label", `${l.label}=${l.value}`);
                break;
            case "networkMode":
                flags.push("--network", String(value));
                break;
            case "ulimits":
                for (const u of value as { name: string; soft: number; hard: number }[])
                    flags.push("--ulimit", `${u.name}=${u.soft}:${u.hard}`);
                break;
            case "logDriver":
                flags.push("--log-driver", String(value));
                break;
            case "logOpts":
                for (const [k, v] of Object.entries(value as Record<string, string>))
                    flags.push("--log-opt", `${k}=${v}`);
                break;
            case "stopTimeout":
                flags.push("--stop-timeout", String(value));
                break;
            case "wait":
            case "waitTimeout":
            case "destroyGraceSeconds":
                // Pulumi-side behaviour (wait for healthy, stop before removing); the test waits
                // and removes by itself.
                break;
            default:
                throw new Error(`container input ${key} is not carried over to docker run`);
        }
    }
    return [...flags, String(args.image)];
}
