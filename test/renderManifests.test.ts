import * as assert from "assert";
import * as yaml from "js-yaml";

import { placeholder, renderManifests, representativeArgs } from "../tools/renderManifests";

describe("the manifests the scanners read", () => {
    it("holds every object of a hardened stack, each with apiVersion and kind", async () => {
        const text = await renderManifests(representativeArgs);
        const objects = yaml.loadAll(text) as { apiVersion: string; kind: string }[];
        assert.deepStrictEqual(
            objects.map((o) => `${o.apiVersion} ${o.kind}`),
            [
                "v1 Namespace",
                "v1 Secret",
                "v1 Secret",
                "networking.k8s.io/v1 NetworkPolicy",
                "policy/v1 PodDisruptionBudget",
                "apps/v1 Deployment",
                "v1 Service",
            ],
        );
    });

    it("holds no secret value but the placeholder", async () => {
        const text = await renderManifests(representativeArgs);
        const secrets = (yaml.loadAll(text) as { kind: string; stringData?: object }[]).filter(
            (o) => o.kind === "Secret",
        );
        const values = secrets.flatMap((s) => Object.values(s.stringData ?? {}) as string[]);
        const passwords = values.flatMap((v) =>
            v.startsWith("{")
                ? Object.values(JSON.parse(v).auths as Record<string, { password: string }>).map(
                      (a) => a.password,
                  )
                : [v],
        );
        assert.deepStrictEqual(passwords, [placeholder, placeholder]);
    });
});
