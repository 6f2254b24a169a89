// The docker target's downtime when `pulumi up` replaces the container, measured under a
// bounded load: the new container cannot start before the old one frees the host port, so the
// engine deletes first. What is asserted is that the old container stops gracefully (SIGTERM,
// exit 0, never the force removal's SIGKILL) and the new one answers; the downtime is printed.
import * as assert from "assert";
import * as crypto from "crypto";
import { setTimeout as sleep } from "timers/promises";
import { EngineEvent } from "@pulumi/pulumi/automation";

import { docker } from "../../tools/testbed/docker";
import { freePort, httpGet } from "../../tools/testbed/http";
import { configureStack } from "../../tools/testbed/project";
import { testBed } from "../../tools/testbed/testBed";
import { SuiteNeeds, e2eSuite } from "../support/e2eSuite";
import { EngineTranscript, changes, useStack } from "../support/stack";
import { describeLoad, startLoad, summarize } from "./load";
import { dockerTargetPlugins } from "./plugins";

const needs: SuiteNeeds = { plugins: dockerTargetPlugins, timeoutMinutes: 20 };

e2eSuite("docker target, a replacement under load", needs, () => {
    const bed = testBed();
    const repository = `e2e/flask-app-${crypto.randomBytes(3).toString("hex")}`;
    const transcript = new EngineTranscript();
    const suite = useStack("docker-rollout", {
        configure: async (stack) =>
            configureStack(stack, bed, repository, {
                target: "docker",
                hostPort: await freePort(),
            }),
    });

    it("stops the old container gracefully and reports the downtime of a replacement", async () => {
        const first = await suite.stack.up(transcript.opts);
        const url = `${first.outputs.url.value}/`;
        const oldContainer: string = first.outputs.resourceNames.value.container;
        await httpGet(url);

        const baseline = startLoad(url, { concurrency: 4, maxSeconds: 10 });
        await sleep(10_000);
        const steady = summarize(await baseline.stop());
        console.log(`      ${describeLoad("steady state", steady)}`);

        suite.project.editApp("flask_app/__init__.py", '"Hello from Flask!"', '"Hello again!"');
        const steps: string[] = [];
        const onEvent = (event: EngineEvent) => {
            transcript.opts.onEvent(event);
            const pre = event.resourcePreEvent?.metadata;
            if (pre?.type === "docker:index/container:Container") steps.push(pre.op);
        };
        const since = Math.floor(Date.now() / 1000);
        const load = startLoad(url, { concurrency: 4, maxSeconds: 600 });
        const started = Date.now();
        const result = await suite.stack.up({ ...transcript.opts, onEvent });
        const upSeconds = (Date.now() - started) / 1000;
        await sleep(3000);
        const figures = summarize(await load.stop(), started);
        const until = Math.ceil(Date.now() / 1000);

        assert.deepStrictEqual(changes(result.summary.resourceChanges), {
            update: 1,
            replace: 1,
        });
        const lifecycle = docker(
            "events",
            "--since",
            String(since),
            "--until",
            String(until),
            "--filter",
            `container=${oldContainer}`,
            "--format",
            "{{.Action}} {{.Actor.Attributes.signal}} {{.Actor.Attributes.exitCode}}",
        )
            .split("\n")
            // The healthcheck's exec events are not the container's own.
            .filter((line) => !line.startsWith("exec_"))
            .map((line) =>
                line
                    .replace(/<no value>/g, "")
                    .replace(/\s+/g, " ")
                    .trim(),
            );
        console.log(`      engine steps for the container: ${steps.join(", ")}`);
        console.log(`      old container: ${lifecycle.join(" | ")}`);
        console.log(`      pulumi up took ${upSeconds.toFixed(1)} s`);
        console.log(`      ${describeLoad("whole up (build, push, replacement)", figures)}`);
        console.log(
            `      downtime (longest gap between answers): ${(figures.longestGap / 1000).toFixed(2)} s`,
        );

        // The provider replaces a container by deleting it first: the new one could not bind
        // the host port the old one holds.
        assert.deepStrictEqual(steps, ["delete-replaced", "replace", "create-replacement"]);
        assert.ok(lifecycle.includes("kill 15"), "the old container got SIGTERM");
        assert.ok(lifecycle.includes("die 0"), "and exited 0 once drained");
        assert.ok(!lifecycle.includes("kill 9"), "never SIGKILL");
        const body = JSON.parse((await httpGet(url)).body);
        assert.deepStrictEqual(body, { message: "Hello again!" });
    });
});
