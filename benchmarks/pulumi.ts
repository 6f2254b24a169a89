// Benchmark of Pulumi operations on the program, per target, on the test bed's real engine,
// Docker Engine, registry and cluster. Each operation is also run on the floor: an empty program
// that loads the same SDKs and provider plugins (a provider resource each) and nothing else, so
// that the figures read as "how much more than Pulumi itself costs". Rounds alternate floor and
// program; the report gives medians and their ratio. The program's first `up` starts from an
// empty build cache, as on a new machine that has only the base image. The `up` after a one-line
// app change is also broken into its steps, timed by the engine's events as they arrive, and
// the inner loop's goals are checked against the same run's figures. Prints Markdown and asserts
// nothing:
//   scripts/benchmark.sh pulumi [--write] [--rounds N]
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";

import {
    ProjectCopy,
    configureKubernetesStack,
    configureStack,
    newStack,
    setKubeconfig,
} from "../tools/testbed/project";
import { testBed } from "../tools/testbed/testBed";
import { report } from "./report";

type Target = "docker" | "kubernetes";
const operations = [
    "first up of a new stack, empty build cache",
    "preview, no change",
    "up, no change",
    "up after a one-line app change",
    "destroy",
] as const;
type Operation = (typeof operations)[number];

/** An empty program that loads the SDKs and plugins `target` needs: one provider resource each. */
function floorProgram(target: Target): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskapp-floor-"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        "name: flask-app\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n    tsconfig: tsconfig.pulumi.json\n",
    );
    // Run as the program is run (Pulumi.yaml): transpiled, not type-checked.
    for (const file of ["tsconfig.json", "tsconfig.pulumi.json"]) {
        fs.copyFileSync(path.resolve(__dirname, "..", file), path.join(dir, file));
    }
    fs.writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({ name: "flask-app-floor", private: true, main: "index.ts" }),
    );
    const lines = [
        'import * as docker from "@pulumi/docker";',
        'new docker.Provider("floor-docker");',
    ];
    if (target === "kubernetes") {
        lines.push(
            'import * as pulumi from "@pulumi/pulumi";',
            'import * as k8s from "@pulumi/kubernetes";',
            'const kubeconfig = new pulumi.Config().requireSecret("kubeconfig");',
            'new k8s.Provider("floor-k8s", { kubeconfig });',
        );
    }
    fs.writeFileSync(path.join(dir, "index.ts"), lines.join("\n") + "\n");
    return dir;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
    const start = performance.now();
    await work();
    return (performance.now() - start) / 1000;
}

/** Where the seconds of an `up` go, from its engine events: each step from its start to its end. */
type Breakdown = Record<string, number>;

/**
 * Times `up` on `stack` and breaks it into: the engine's start (CLI, plugins, the program up to
 * its first registration), each changed resource's steps, and what follows the last step.
 */
async function brokenDown(stack: Stack): Promise<{ total: number; parts: Breakdown }> {
    const start = performance.now();
    const began = new Map<string, number>();
    const parts: Breakdown = {};
    let first: number | undefined;
    let last = start;
    const name = (urn: string, op: string) => `${urn.split("::").pop()} ${op}`;
    const onEvent = (event: EngineEvent) => {
        const now = performance.now();
        const pre = event.resourcePreEvent?.metadata;
        if (pre) {
            first ??= now;
            // A replacement's time is in its create-replacement and delete-replaced steps.
            if (pre.op !== "same" && pre.op !== "replace") began.set(name(pre.urn, pre.op), now);
        }
        const done = event.resOutputsEvent?.metadata;
        if (done && done.op !== "same") {
            const key = name(done.urn, done.op);
            const from = began.get(key);
            if (from !== undefined) parts[key] = (now - from) / 1000;
            last = now;
        }
    };
    await stack.up({ onEvent });
    const end = performance.now();
    return {
        total: (end - start) / 1000,
        parts: {
            "engine start: CLI, plugins, program up to its first resource":
                ((first ?? end) - start) / 1000,
            ...parts,
            "after the last step: state, outputs, exit": (end - last) / 1000,
        },
    };
}

/** Seconds from a container's start to the end of its first health probe that passed. */
function healthyAfterStart(container: string): number {
    const state = JSON.parse(
        execFileSync("docker", ["inspect", "--format", "{{json .State}}", container], {
            encoding: "utf8",
        }),
    );
    const passed = state.Health.Log.find((probe: { ExitCode: number }) => probe.ExitCode === 0);
    return (Date.parse(passed.End) - Date.parse(state.StartedAt)) / 1000;
}

interface Round {
    times: Record<Operation, number>;
    /** The program's `up` after a one-line change, step by step. */
    breakdown?: Breakdown;
}

/** Runs every operation once on a new stack of `project`, configured for `target`. */
async function round(project: ProjectCopy, target: Target, floor: boolean): Promise<Round> {
    const bed = testBed();
    const stack: Stack = await newStack(project, floor ? "floor" : "bench");
    const repository = `bench/flask-app-${crypto.randomBytes(3).toString("hex")}`;
    const namespace = `bench-${crypto.randomBytes(3).toString("hex")}`;
    // The floor program reads only the kubeconfig.
    if (floor && target === "kubernetes") await setKubeconfig(stack, bed);
    else if (!floor && target === "kubernetes")
        await configureKubernetesStack(stack, bed, repository, namespace);
    else if (!floor) await configureStack(stack, bed, repository, { target });
    const result = {} as Record<Operation, number>;
    let breakdown: Breakdown | undefined;
    // Only the base image stays: every layer of the app is built again. This empties the whole
    // engine's build cache, the test bed's and anything else's on it.
    if (!floor)
        execFileSync("docker", ["builder", "prune", "--all", "--force"], { stdio: "ignore" });
    result["first up of a new stack, empty build cache"] = await timed(() => stack.up());
    result["preview, no change"] = await timed(() => stack.preview());
    result["up, no change"] = await timed(() => stack.up());
    if (!floor) {
        const greeting = `"Hello from round ${crypto.randomBytes(3).toString("hex")}!"`;
        project.editApp("flask_app/__init__.py", '"Hello from Flask!"', greeting);
        try {
            const up = await brokenDown(stack);
            result["up after a one-line app change"] = up.total;
            breakdown = up.parts;
            if (target === "docker") {
                // Beside the container's create-replacement step, the part of it Docker's probe takes.
                const container = (await stack.outputs()).resourceNames.value.container;
                const probe = healthyAfterStart(container);
                breakdown = Object.fromEntries(
                    Object.entries(breakdown).flatMap(([step, s]) =>
                        step.endsWith("create-replacement")
                            ? [
                                  [step, s],
                                  ["  of which: its start to its first healthy probe", probe],
                              ]
                            : [[step, s]],
                    ),
                );
            }
        } finally {
            project.editApp("flask_app/__init__.py", greeting, '"Hello from Flask!"');
        }
    }
    result["destroy"] = await timed(() => stack.destroy());
    await stack.workspace.removeStack(stack.name);
    return { times: result, breakdown };
}

/** The steps of the `up` after a one-line change, median seconds over the rounds. */
function breakdownTable(target: Target, rounds: Round[]): string[] {
    const steps = [...new Set(rounds.flatMap((r) => Object.keys(r.breakdown ?? {})))];
    const total = median(rounds.map((r) => r.times["up after a one-line app change"]));
    return [
        `The \`up\` after a one-line app change on \`${target}\`, step by step (median seconds; a`,
        "step's start and end are when its engine events arrived; steps of different resources",
        "may overlap):",
        "",
        "| step | s | share of the up |",
        "| --- | ---: | ---: |",
        ...steps.map((step) => {
            const s = median(rounds.map((r) => r.breakdown?.[step] ?? 0));
            return `| ${step} | ${s.toFixed(1)} | ${((100 * s) / total).toFixed(0)} % |`;
        }),
        `| the whole up | ${total.toFixed(1)} | 100 % |`,
        "",
    ];
}

/** The inner loop's goals (BENCHMARKS.md, "Pulumi operations"), met or not, from this run's figures. */
function goals(change: number, cold: number, floorNoChange: number): string[] {
    const verdict = (ratio: number, goal: number) =>
        `${ratio.toFixed(2)}× (goal at most ${goal}×: ${ratio <= goal ? "**met**" : "**not met**"})`;
    return [
        `Up after a one-line change against the cold first up: ${verdict(change / cold, 0.3)}; against the floor's no-change up: ${verdict(change / floorNoChange, 2)}.`,
        "",
    ];
}

const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
};

async function main() {
    const roundsFlag = process.argv.indexOf("--rounds");
    const rounds = roundsFlag === -1 ? 3 : Number(process.argv[roundsFlag + 1]);
    const out: string[] = [];
    for (const target of ["docker", "kubernetes"] as const) {
        const floorDir = floorProgram(target);
        const floor = new ProjectCopy("flaskapp-bench-floor", floorDir);
        const program = new ProjectCopy("flaskapp-bench-program");
        const runs: { floor: Round[]; program: Round[] } = { floor: [], program: [] };
        try {
            for (let i = 0; i < rounds; i++) {
                runs.floor.push(await round(floor, target, true));
                runs.program.push(await round(program, target, false));
            }
        } finally {
            floor.remove();
            program.remove();
            fs.rmSync(floorDir, { recursive: true, force: true });
        }
        const of = (runs: Round[], op: Operation) => median(runs.map((r) => r.times[op]));
        out.push(
            `Target \`${target}\`, median of ${rounds} rounds:`,
            "",
            "| operation | program s | floor s | program / floor |",
            "| --- | ---: | ---: | ---: |",
            ...operations.map((op) => {
                // The floor has no app to change: its no-change up is the comparison.
                const floorOp = op === "up after a one-line app change" ? "up, no change" : op;
                const [p, f] = [of(runs.program, op), of(runs.floor, floorOp)];
                return `| ${op} | ${p.toFixed(1)} | ${f.toFixed(1)} | ${(p / f).toFixed(2)}× |`;
            }),
            "",
            ...breakdownTable(target, runs.program),
            ...goals(
                of(runs.program, "up after a one-line app change"),
                of(runs.program, "first up of a new stack, empty build cache"),
                of(runs.floor, "up, no change"),
            ),
        );
    }
    report(
        "pulumi",
        [
            "Each round's first `up` starts from an empty build cache (`docker builder prune`), as on a",
            "new machine that has only the base image. The floor program loads the same SDKs and plugins,",
            "runs as the program does (transpiled, not type-checked) and registers one provider resource",
            "each; its no-change `up` stands in for the app change.",
            "",
            ...out,
        ].join("\n"),
    );
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
