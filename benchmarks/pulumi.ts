// Benchmark of Pulumi operations on the program, per target, on the test bed's real engine,
// Docker Engine, registry and cluster. Each operation is also run on the floor: an empty program
// that loads the same SDKs and provider plugins (a provider resource each) and nothing else, so
// that the figures read as "how much more than Pulumi itself costs". Rounds alternate floor and
// program; the report gives medians and their ratio. Prints Markdown and asserts nothing:
//   scripts/benchmark.sh pulumi [--write] [--rounds N]
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";

import {
    ProjectCopy,
    configureKubernetesStack,
    configureStack,
    newStack,
    setKubeconfig,
    testBed,
} from "../tools/testbed/harness";
import { report } from "./report";

type Target = "docker" | "kubernetes";
const operations = [
    "first up of a new stack",
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
        "name: flask-app\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
    );
    fs.copyFileSync(
        path.resolve(__dirname, "..", "tsconfig.json"),
        path.join(dir, "tsconfig.json"),
    );
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

/** Runs every operation once on a new stack of `project`, configured for `target`. */
async function round(
    project: ProjectCopy,
    target: Target,
    floor: boolean,
): Promise<Record<Operation, number>> {
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
    result["first up of a new stack"] = await timed(() => stack.up());
    result["preview, no change"] = await timed(() => stack.preview());
    result["up, no change"] = await timed(() => stack.up());
    if (!floor) {
        const greeting = `"Hello from round ${crypto.randomBytes(3).toString("hex")}!"`;
        project.editApp("flask_app/__init__.py", '"Hello from Flask!"', greeting);
        try {
            result["up after a one-line app change"] = await timed(() => stack.up());
        } finally {
            project.editApp("flask_app/__init__.py", greeting, '"Hello from Flask!"');
        }
    }
    result["destroy"] = await timed(() => stack.destroy());
    await stack.workspace.removeStack(stack.name);
    return result;
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
        const runs: { floor: Record<Operation, number>[]; program: Record<Operation, number>[] } = {
            floor: [],
            program: [],
        };
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
        const of = (runs: Record<Operation, number>[], op: Operation) =>
            median(runs.map((r) => r[op]));
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
        );
    }
    report(
        "pulumi",
        [
            "Docker's build cache is warm in every round (a new stack, not a new machine): the cold",
            "build is in the image table above. The floor program loads the same SDKs and plugins and",
            "registers one provider resource each; its no-change `up` stands in for the app change.",
            "",
            ...out,
        ].join("\n"),
    );
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
