// How a benchmark hands over its figures: printed, and with `--write` put between the markers
// `<!-- NAME:begin -->` and `<!-- NAME:end -->` of BENCHMARKS.md.
import * as fs from "fs";
import * as path from "path";

export function report(name: string, markdown: string): void {
    console.log(markdown);
    if (!process.argv.includes("--write")) return;
    const file = path.resolve(__dirname, "..", "BENCHMARKS.md");
    const [begin, end] = [`<!-- ${name}:begin -->`, `<!-- ${name}:end -->`];
    const text = fs.readFileSync(file, "utf8");
    if (!text.includes(begin)) throw new Error(`BENCHMARKS.md has no ${begin} marker`);
    const section = new RegExp(`${begin}[\\s\\S]*${end}`);
    fs.writeFileSync(file, text.replace(section, `${begin}\n${markdown}\n${end}`));
}
