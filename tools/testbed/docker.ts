// The test bed's Docker Engine: its CLI, the app's image built from the test bed's base image and
// package index, and that image run as the docker target would run it.
import { execFileSync } from "child_process";
import { setTimeout as sleep } from "timers/promises";

import { containerSpec } from "../../components/container";
import { containerArgs } from "../../components/docker";
import { validSettings } from "../../components/flaskApp";
import { dockerRunArgs } from "./dockerRun";
import { promiseOf } from "./promiseOf";
import { TestBed } from "./testBed";

/** `docker` CLI output, trimmed. */
export function docker(...args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8" }).trim();
}

/** Builds the app folder `appDir` as `ref` with the test bed's base image and package index. */
export function buildAppImage(bed: TestBed, appDir: string, ref: string, ...extra: string[]): void {
    const buildArgs = [
        ...(bed.baseImage ? ["--build-arg", `BASE_IMAGE=${bed.baseImage}`] : []),
        ...(bed.pipIndexUrl ? ["--build-arg", `PIP_INDEX_URL=${bed.pipIndexUrl}`] : []),
        ...(bed.pipTrustedHost ? ["--build-arg", `PIP_TRUSTED_HOST=${bed.pipTrustedHost}`] : []),
    ];
    docker("build", "--quiet", ...extra, ...buildArgs, "--tag", ref, appDir);
}

/**
 * Runs `ref` with exactly the container settings the docker target computes for its defaults,
 * published on `hostPort`, and waits until Docker reports it healthy.
 */
export async function runHardened(ref: string, name: string, hostPort: number): Promise<string> {
    const settings = validSettings(name, {
        image: { repository: "localhost:5000/unused" },
        docker: { hostPort },
    });
    // On the default bridge: the network of its own is Pulumi's to create (docker.e2e.ts).
    const args = containerArgs(settings, containerSpec(settings, ref), "bridge");
    docker("run", ...dockerRunArgs({ ...args, envs: await promiseOf(args.envs) }, name));
    for (let i = 0; i < 60; i++) {
        const health = docker("inspect", "--format", "{{.State.Health.Status}}", name);
        if (health === "healthy") return `http://127.0.0.1:${hostPort}`;
        if (health === "unhealthy") break;
        await sleep(1000);
    }
    throw new Error(`container ${name} did not become healthy:\n${docker("logs", name)}`);
}
