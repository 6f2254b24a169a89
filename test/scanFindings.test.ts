import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";

import {
    AcceptedFinding,
    Finding,
    checkovFindings,
    compareFindings,
    kubeScoreFindings,
    parseAccepted,
    renderComparison,
} from "../tools/scanFindings";

const finding = (id: string, object = "Deployment shop/web"): Finding => ({
    scanner: "kube-score",
    id,
    object,
    message: `${id} fired`,
});
const accept = (id: string, object = "Deployment shop/web"): AcceptedFinding => ({
    scanner: "kube-score",
    id,
    object,
    reason: "because",
});

describe("scanner findings", () => {
    it("splits findings into accepted and open, and names accepted entries that no longer fire", () => {
        const result = compareFindings(
            [finding("pod-networkpolicy"), finding("container-image-pull-policy")],
            [accept("container-image-pull-policy"), accept("pod-probes-identical")],
        );
        assert.deepStrictEqual(result.accepted, [finding("container-image-pull-policy")]);
        assert.deepStrictEqual(result.open, [finding("pod-networkpolicy")]);
        assert.deepStrictEqual(result.stale, [accept("pod-probes-identical")]);
    });

    it("accepts a finding only on the object its entry names", () => {
        const result = compareFindings(
            [finding("container-image-pull-policy", "Deployment other/web")],
            [accept("container-image-pull-policy")],
        );
        assert.strictEqual(result.open.length, 1);
        assert.strictEqual(result.stale.length, 1);
    });

    it("prints a summary line per scanner, then what is open and what no longer fires", () => {
        const lines = renderComparison(
            [finding("pod-networkpolicy"), finding("container-image-pull-policy")],
            [accept("container-image-pull-policy"), accept("pod-probes-identical")],
        );
        assert.deepStrictEqual(lines, [
            "kube-score: 2 findings, 1 accepted, 1 open, 1 accepted but not found",
            "checkov: 0 findings, 0 accepted, 0 open, 0 accepted but not found",
            "actionlint: 0 findings, 0 accepted, 0 open, 0 accepted but not found",
            "shellcheck: 0 findings, 0 accepted, 0 open, 0 accepted but not found",
            "OPEN kube-score pod-networkpolicy Deployment shop/web: pod-networkpolicy fired",
            "NOT FOUND kube-score pod-probes-identical Deployment shop/web: accepted, but no longer reported",
        ]);
    });

    for (const [entry, message] of [
        [
            { scanner: "kube-score", id: "x", object: "o" },
            "accepted findings, entry 1: `reason` must be a non-empty string",
        ],
        [
            { scanner: "trivy", id: "x", object: "o", reason: "r" },
            "accepted findings, entry 1: `scanner` must be one of kube-score, checkov, actionlint, shellcheck; got trivy",
        ],
    ] as const) {
        it(`rejects an accepted entry: ${message}`, () => {
            assert.throws(() => parseAccepted(yaml.dump([entry])), { message });
        });
    }

    it("rejects a second accepted entry for one finding", () => {
        assert.throws(() => parseAccepted(yaml.dump([accept("a"), accept("a")])), {
            message:
                "accepted findings, entry 2: a second entry for kube-score a Deployment shop/web",
        });
    });

    it("reads the project's accepted findings, each with a reason", () => {
        const accepted = parseAccepted(fs.readFileSync("scanners/accepted.yaml", "utf8"));
        assert.ok(accepted.length > 0);
    });

    it("reports a kube-score check that is neither skipped nor passed, with its comments", () => {
        const check = (id: string, grade: number, skipped = false) => ({
            check: { id },
            grade,
            skipped,
            comments: [{ path: "app", summary: `${id} summary` }],
        });
        const report = [
            {
                object_name: "web",
                type_meta: { kind: "Deployment" },
                object_meta: { name: "web", namespace: "shop" },
                checks: [check("passes", 10), check("skipped", 1, true), check("fails", 1)],
            },
        ];
        assert.deepStrictEqual(kubeScoreFindings(report), [
            {
                scanner: "kube-score",
                id: "fails",
                object: "Deployment shop/web",
                message: "(app) fails summary",
            },
        ]);
    });

    it("names a checkov workflow finding by its file, a Kubernetes one by its resource", () => {
        const report = (check_type: string, resource: string, file_path: string) => ({
            check_type,
            results: {
                failed_checks: [{ check_id: "CKV_X", check_name: "x", resource, file_path }],
            },
        });
        const findings = checkovFindings([
            report("kubernetes", "Deployment.shop.web", "/../../tmp/x/kubernetes.yaml"),
            report("github_actions", "jobs(up)", "/.github/workflows/up.yml"),
        ]);
        assert.deepStrictEqual(
            findings.map((f) => f.object),
            ["Deployment.shop.web", ".github/workflows/up.yml jobs(up)"],
        );
    });
});
