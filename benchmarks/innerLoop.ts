// Benchmark of the inner loop on the docker target: the time from a saved change to the new code
// answering, found by requesting the app until its answer changes. Three ways, on one stack with
// live update, in one run:
// - the watch mode (tools/devWatch.ts), for a one-line code change (a reload in place) and for a
//   change of requirements.txt (with the same one-line change, so that the answer shows when the
//   rebuilt image serves);
// - `pulumi watch` (experimental), which runs an `up` on every save;
// and, beside them, the same stack's no-change `up`. A closed-loop load runs during the watch
// mode's code changes and its failed requests are counted. Last, what the docker target's health
// probe costs: the image run idle with the component's settings, with and without the probe,
// its CPU time read from the container's cgroup. Prints Markdown, asserts nothing:
//   scripts/benchmark.sh inner-loop [--write] [--rounds N]
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ChildProcess, spawn } from "child_process";
import { setTimeout as sleep } from "timers/promises";
import { LocalWorkspace } from "@pulumi/pulumi/automation";

import { containerSpec } from "../components/container";
import { containerArgs } from "../components/docker";
import { validSettings } from "../components/flaskApp";
import { dockerRunArgs } from "../tools/testbed/dockerRun";
import { promiseOf } from "../tools/testbed/promiseOf";
import { docker } from "../tools/testbed/docker";
import { freePort, httpGet } from "../tools/testbed/http";
import { ProjectCopy, configureStack } from "../tools/testbed/project";
import { testBed } from "../tools/testbed/testBed";
import { describeLoad, startLoad, summarize } from "../test/e2e/load";
import { report } from "./report";

const greetingLine = 'DEFAULT_GREETING = "Hello from Flask!"';

async function answer(url: string): Promise<string | undefined> {
    try {
        return await (await fetch(url, { signal: AbortSignal.timeout(2000) })).text();
    } catch {
        return undefined;
    }
}

/** Seconds from now until `url` answers with something other than `before`. */
async function untilAnswerChanges(url: string, before: string, limitSeconds: number) {
    const start = performance.now();
    for (;;) {
        const now = await answer(url);
        if (now !== undefined && now !== before) return (performance.now() - start) / 1000;
        if (performance.now() - start > limitSeconds * 1000) {
            throw new Error(`${url} still answers ${before} after ${limitSeconds} s`);
        }
        await sleep(10);
    }
}

/** A long-running command whose output is kept, stopped with SIGINT as Ctrl-C would. */
function background(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
    const child: ChildProcess = spawn(command, args, { cwd, env, detached: true });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    let running = true;
    const exited = new Promise((resolve) => child.on("close", resolve)).then(
        () => (running = false),
    );
    return {
        output: () => output,
        /** Throws if the command has stopped: a round would wait for it in vain. */
        alive() {
            if (!running) throw new Error(`${command} ${args.join(" ")} stopped:\n${output}`);
        },
        async waitFor(pattern: RegExp, seconds = 120) {
            const deadline = Date.now() + seconds * 1000;
            while (!pattern.test(output)) {
                if (Date.now() > deadline || !running)
                    throw new Error(`no ${pattern} in:\n${output}`);
                await sleep(50);
            }
        },
        /** SIGINT, as Ctrl-C; SIGKILL 10 s later (`pulumi watch` stays after an update it cancels). */
        async stop() {
            process.kill(-child.pid!, "SIGINT");
            const timer = setTimeout(() => running && process.kill(-child.pid!, "SIGKILL"), 10_000);
            await exited;
            clearTimeout(timer);
        },
    };
}

/** CPU seconds container `name` has used, from its cgroup (cgroup v1 or v2, cgroupfs driver). */
function cpuSeconds(name: string): number {
    const id = docker("inspect", "--format", "{{.Id}}", name);
    const v1 = `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`;
    if (fs.existsSync(v1)) return Number(fs.readFileSync(v1, "utf8")) / 1e9;
    const stat = fs.readFileSync(`/sys/fs/cgroup/docker/${id}/cpu.stat`, "utf8");
    return Number(/usage_usec (\d+)/.exec(stat)![1]) / 1e6;
}

/**
 * CPU seconds per minute that `ref` uses idle, run with the docker target's settings, with its
 * health probe and without (the image itself has none), `seconds` each, one after the other.
 */
async function probeCost(ref: string, seconds: number) {
    const settings = validSettings("probe-cost", {
        image: { repository: "localhost:5000/unused" },
        docker: { hostPort: await freePort() },
    });
    const args = containerArgs(settings, containerSpec(settings, ref), "bridge");
    const envs = await promiseOf(args.envs);
    const perMinute: Record<"with" | "without", number> = { with: 0, without: 0 };
    for (const probe of ["with", "without"] as const) {
        const name = `flaskapp-bench-probe-${probe}`;
        const run = { ...args, envs, ...(probe === "without" && { healthcheck: undefined }) };
        docker("run", ...dockerRunArgs(run, name));
        try {
            await httpGet(`http://127.0.0.1:${settings.docker.hostPort}/`);
            await sleep(3000);
            const before = cpuSeconds(name);
            await sleep(seconds * 1000);
            perMinute[probe] = ((cpuSeconds(name) - before) * 60) / seconds;
        } finally {
            docker("rm", "--force", name);
        }
    }
    const { interval } = (await promiseOf(args.healthcheck))!;
    return { ...perMinute, interval, cpus: args.cpus };
}

const onPath = (file: string) =>
    (process.env.PATH ?? "")
        .split(path.delimiter)
        .some((dir) => fs.existsSync(path.join(dir, file)));

const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const spread = (values: number[]) =>
    `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

async function main() {
    const roundsFlag = process.argv.indexOf("--rounds");
    const rounds = roundsFlag === -1 ? 5 : Number(process.argv[roundsFlag + 1]);
    const bed = testBed();
    const project = new ProjectCopy("flaskapp-bench-inner-loop");
    const env = {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${project.stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: crypto.randomBytes(16).toString("hex"),
        PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    const stack = await LocalWorkspace.createStack(
        { stackName: "dev", workDir: project.dir },
        { envVars: env as Record<string, string> },
    );
    const appFile = `${project.dir}/app/flask_app/__init__.py`;
    const requirements = `${project.dir}/app/requirements.txt`;
    const source = fs.readFileSync(appFile, "utf8");
    const pinned = fs.readFileSync(requirements, "utf8");
    let saved = 0;
    /** Saves a new greeting (and, with `build`, a changed requirements.txt) in one burst. */
    const save = (build = false) => {
        saved++;
        if (build) fs.writeFileSync(requirements, pinned + (saved % 2 ? "# changed\n" : ""));
        fs.writeFileSync(
            appFile,
            source.replace(greetingLine, `DEFAULT_GREETING = "Save ${saved}"`),
        );
    };
    const rows: string[] = [];
    try {
        await configureStack(
            stack,
            bed,
            `bench/inner-loop-${crypto.randomBytes(3).toString("hex")}`,
            {
                target: "docker",
                hostPort: await freePort(),
                liveUpdate: true,
            },
        );
        const url = (await stack.up()).outputs.url.value + "/";
        const noChange: number[] = [];
        for (let i = 0; i < 3; i++) {
            const start = performance.now();
            await stack.up();
            noChange.push((performance.now() - start) / 1000);
        }
        const upNoChange = median(noChange);

        const timeRounds = async (
            n: number,
            build: boolean,
            by: { alive(): void },
            limit = 300,
        ) => {
            const times: number[] = [];
            for (let i = 0; i < n; i++) {
                by.alive();
                const before = (await answer(url))!;
                const start = performance.now();
                save(build);
                await untilAnswerChanges(url, before, limit);
                times.push((performance.now() - start) / 1000);
                await sleep(1500);
            }
            return times;
        };

        const watch = background(
            "npx",
            ["ts-node", "--transpile-only", "tools/devWatch.ts", "app"],
            project.dir,
            env,
        );
        await watch.waitFor(/\[watch\] following/);
        const loads = [
            startLoad(url, { concurrency: 2, maxSeconds: 600 }),
            startLoad(url, { concurrency: 2, keepAlive: false, maxSeconds: 600 }),
        ];
        const code = await timeRounds(rounds, false, watch);
        const load = summarize((await Promise.all(loads.map((l) => l.stop()))).flat());
        const rebuild = await timeRounds(Math.max(2, Math.ceil(rounds / 2)), true, watch);
        await watch.stop();
        fs.writeFileSync(requirements, pinned);

        // `pulumi watch` runs the `pulumi-watch` binary that Pulumi's release archives ship
        // beside the CLI; where it is not on PATH, its row says so.
        let viaPulumiWatch: number[] = [];
        let pulumiWatchFailed = "`pulumi-watch` is not on PATH";
        if (onPath("pulumi-watch")) {
            const args = ["watch", "--stack", "dev", "--path", "app"];
            const pulumiWatch = background("pulumi", args, project.dir, env);
            try {
                await pulumiWatch.waitFor(/Watch mode enabled/);
                viaPulumiWatch = await timeRounds(2, false, pulumiWatch, 120);
            } catch (error) {
                pulumiWatchFailed = `it did not serve a save (${String(error).split("\n")[0]})`;
            } finally {
                await pulumiWatch.stop();
                console.error(`pulumi watch said:\n${pulumiWatch.output()}`);
            }
        }

        const cost = await probeCost((await stack.outputs()).imageRef.value, 30);

        const row = (what: string, times: number[]) =>
            `| ${what} | ${median(times).toFixed(2)} | ${spread(times)} | ${times.length} | ${(median(times) / upNoChange).toFixed(2)}× |`;
        rows.push(
            `Machine: ${os.cpus().length} cores; load average ${os.loadavg()[0].toFixed(2)} at the end. Docker target, live update on, the app's defaults (2 workers, 0.5 CPU).`,
            "",
            "| from a save to the new code answering | median s | lowest–highest | rounds | × no-change up |",
            "| --- | ---: | ---: | ---: | ---: |",
            row("watch mode, a one-line code change (reload in place)", code),
            row("watch mode, requirements.txt changed too (build and rollout)", rebuild),
            viaPulumiWatch.length > 0
                ? row("`pulumi watch`, a one-line code change (an `up` per save)", viaPulumiWatch)
                : `| \`pulumi watch\`: not measured, ${pulumiWatchFailed} | | | | |`,
            `| the same stack's no-change \`up\`, for scale | ${upNoChange.toFixed(2)} | ${spread(noChange)} | ${noChange.length} | 1.00× |`,
            "",
            `${describeLoad("Load during the watch mode's code changes (2 keep-alive and 2 new-connection clients)", load)}.`,
            "",
            `The health probe (every ${cost.interval}): the container idle uses ${cost.with.toFixed(2)} CPU-seconds a minute with it and ${cost.without.toFixed(2)} without, so the probe costs ${(cost.with - cost.without).toFixed(2)} CPU-seconds a minute, ${((100 * (cost.with - cost.without)) / 60 / Number(cost.cpus)).toFixed(1)} % of the container's ${cost.cpus} CPU limit.`,
        );
    } finally {
        fs.writeFileSync(appFile, source);
        fs.writeFileSync(requirements, pinned);
        await stack.destroy().catch(() => undefined);
        project.remove();
    }
    report("inner-loop", rows.join("\n"));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
