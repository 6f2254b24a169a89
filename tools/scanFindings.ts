// Reads what the scanners of scripts/scan.sh reported, compares it with the accepted findings
// and prints one summary line per scanner, then every open finding and every accepted entry
// that no longer fires. Exits 1 when there is either.
// Usage: npx ts-node tools/scanFindings.ts ACCEPTED_YAML REPORT_DIR
// REPORT_DIR holds kube-score.json, checkov.json, actionlint.json and shellcheck.json.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

export const scanners = ["kube-score", "checkov", "actionlint", "shellcheck"] as const;
export type Scanner = (typeof scanners)[number];

/** One thing a scanner reported: which rule, on which object, and what it said. */
export interface Finding {
    scanner: Scanner;
    id: string;
    object: string;
    message: string;
}

/** A finding we live with, and why. It accepts every finding of its scanner, id and object. */
export interface AcceptedFinding {
    scanner: Scanner;
    id: string;
    object: string;
    reason: string;
}

/** kube-score's `--output-format json`: every check that is neither skipped nor fully OK. */
export function kubeScoreFindings(report: unknown): Finding[] {
    const objects = report as {
        object_name: string;
        type_meta: { kind: string };
        object_meta: { name: string; namespace?: string };
        checks: {
            check: { id: string };
            grade: number;
            skipped: boolean;
            comments: { path: string; summary: string }[] | null;
        }[];
    }[];
    // kube-score grades a check 10 when it passes, lower the worse it is.
    const ok = 10;
    return objects.flatMap((o) =>
        o.checks
            .filter((c) => !c.skipped && c.grade < ok)
            .map((c) => ({
                scanner: "kube-score" as const,
                id: c.check.id,
                object: `${o.type_meta.kind} ${o.object_meta.namespace ?? "default"}/${o.object_meta.name}`,
                message: (c.comments ?? [])
                    .map((m) => (m.path ? `(${m.path}) ${m.summary}` : m.summary))
                    .join("; "),
            })),
    );
}

/** checkov's `-o json`: one report, or a list of them when more than one framework ran. */
export function checkovFindings(report: unknown): Finding[] {
    type Report = {
        check_type: string;
        results: {
            failed_checks: {
                check_id: string;
                check_name: string;
                resource: string;
                file_path: string;
            }[];
        };
    };
    const reports = (Array.isArray(report) ? report : [report]) as Report[];
    return reports.flatMap((r) =>
        r.results.failed_checks.map((c) => {
            const file = c.file_path.replace(/^\/+/, "");
            // A Kubernetes resource is named by kind, namespace and name; the file is the
            // scan's own rendering, named nowhere else. Other resources need their file.
            const object =
                r.check_type === "kubernetes" || c.resource.startsWith(file)
                    ? c.resource
                    : `${file} ${c.resource}`;
            return { scanner: "checkov" as const, id: c.check_id, object, message: c.check_name };
        }),
    );
}

/** actionlint's `-format '{{json .}}'`. */
export function actionlintFindings(report: unknown): Finding[] {
    const errors = report as {
        kind: string;
        filepath: string;
        line: number;
        column: number;
        message: string;
    }[];
    return errors.map((e) => ({
        scanner: "actionlint",
        id: e.kind,
        object: e.filepath,
        message: `${e.line}:${e.column} ${e.message}`,
    }));
}

/** shellcheck's `-f json1`. */
export function shellcheckFindings(report: unknown): Finding[] {
    const { comments } = report as {
        comments: { file: string; line: number; column: number; code: number; message: string }[];
    };
    return comments.map((c) => ({
        scanner: "shellcheck",
        id: `SC${c.code}`,
        object: c.file,
        message: `${c.line}:${c.column} ${c.message}`,
    }));
}

const readers: Record<Scanner, (report: unknown) => Finding[]> = {
    "kube-score": kubeScoreFindings,
    checkov: checkovFindings,
    actionlint: actionlintFindings,
    shellcheck: shellcheckFindings,
};

/** The accepted findings, checked: known scanner, every field set, a reason, no duplicate. */
export function parseAccepted(text: string): AcceptedFinding[] {
    const entries = (yaml.load(text) ?? []) as Partial<Record<keyof AcceptedFinding, unknown>>[];
    if (!Array.isArray(entries)) throw new Error("accepted findings: expected a list of entries");
    const seen = new Set<string>();
    return entries.map((e, i) => {
        const where = `accepted findings, entry ${i + 1}`;
        for (const field of ["scanner", "id", "object", "reason"] as const) {
            if (typeof e[field] !== "string" || (e[field] as string).trim() === "") {
                throw new Error(`${where}: \`${field}\` must be a non-empty string`);
            }
        }
        const entry = e as AcceptedFinding;
        if (!scanners.includes(entry.scanner)) {
            throw new Error(
                `${where}: \`scanner\` must be one of ${scanners.join(", ")}; got ${entry.scanner}`,
            );
        }
        const key = keyOf(entry);
        if (seen.has(key)) throw new Error(`${where}: a second entry for ${key}`);
        seen.add(key);
        return entry;
    });
}

const keyOf = (f: { scanner: string; id: string; object: string }) =>
    `${f.scanner} ${f.id} ${f.object}`;

/** The findings split into accepted and open, and the accepted entries that matched nothing. */
export function compareFindings(
    findings: Finding[],
    accepted: AcceptedFinding[],
): { accepted: Finding[]; open: Finding[]; stale: AcceptedFinding[] } {
    const acceptedKeys = new Set(accepted.map(keyOf));
    const firing = new Set(findings.map(keyOf));
    return {
        accepted: findings.filter((f) => acceptedKeys.has(keyOf(f))),
        open: findings.filter((f) => !acceptedKeys.has(keyOf(f))),
        stale: accepted.filter((a) => !firing.has(keyOf(a))),
    };
}

/** The report: a summary line per scanner, then each open finding and stale entry. */
export function renderComparison(findings: Finding[], accepted: AcceptedFinding[]): string[] {
    const result = compareFindings(findings, accepted);
    const count = (list: { scanner: Scanner }[], s: Scanner) =>
        list.filter((f) => f.scanner === s).length;
    return [
        ...scanners.map(
            (s) =>
                `${s}: ${count(findings, s)} findings, ${count(result.accepted, s)} accepted, ` +
                `${count(result.open, s)} open, ${count(result.stale, s)} accepted but not found`,
        ),
        ...result.open.map((f) => `OPEN ${keyOf(f)}: ${f.message}`),
        ...result.stale.map((a) => `NOT FOUND ${keyOf(a)}: accepted, but no longer reported`),
    ];
}

if (require.main === module) {
    const [acceptedFile, reportDir] = process.argv.slice(2);
    if (!acceptedFile || !reportDir) {
        console.error("usage: scanFindings.ts ACCEPTED_YAML REPORT_DIR");
        process.exit(2);
    }
    try {
        const accepted = parseAccepted(fs.readFileSync(acceptedFile, "utf8"));
        const findings = scanners.flatMap((s) =>
            readers[s](JSON.parse(fs.readFileSync(path.join(reportDir, `${s}.json`), "utf8"))),
        );
        const lines = renderComparison(findings, accepted);
        console.log(lines.join("\n"));
        const { open, stale } = compareFindings(findings, accepted);
        process.exit(open.length + stale.length === 0 ? 0 : 1);
    } catch (err) {
        console.error(`scanFindings: ${(err as Error).message}`);
        process.exit(2);
    }
}
