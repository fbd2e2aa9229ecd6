// The chart: one block per scrape interval and error model (rows: canary error rate, columns:
// requests per second), one bar per policy showing how its trials ended:
// green = the right verdict (healthy promoted, bad rolled back), red = the wrong one, grey =
// inconclusive (aborted at a limit or the deadline without a verdict), with the median time of
// the right verdict.

export interface ChartRow {
    rps: number;
    stableErrorRate: number;
    canaryErrorRate: number;
    scrapeSeconds: number;
    errorModel: string;
    group: string;
    policy: string;
    promotedRate: number;
    rolledBackRate: number;
    inconclusiveRate: number;
    rollbackSeconds: { median: number | null };
    promoteSeconds: { median: number | null };
}

const POLICY_LABEL: Record<string, string> = {
    tutorial: "tutorial",
    flagger: "Flagger",
    guard: "guard",
    gate: "gate",
};

const MODEL_LABEL: Record<string, string> = {
    independent: "independent errors",
    clumped: "errors in clumps (mean 5)",
    versionBursts: "bursts on one version at a time (10-20s at 10-20%)",
    sharedBursts: "bursts on both versions at once (20s at 20%)",
};

function esc(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function time(s: number | null): string {
    if (s === null) {
        return "-";
    }
    return s >= 600 ? `${Math.round(s / 60)}m` : `${Math.round(s)}s`;
}

function share(x: number): string {
    if (x === 0) {
        return "0%";
    }
    return x < 0.01 ? `${(x * 100).toFixed(1)}%` : `${Math.round(x * 100)}%`;
}

export function chart(all: ChartRow[], title: string): string {
    const rows = all.filter((r) => r.group === "grid");
    const blocks = [...new Set(rows.map((r) => `${r.scrapeSeconds}|${r.errorModel}`))];
    const rpsList = [...new Set(rows.map((r) => r.rps))].sort((a, b) => a - b);
    const rates = [...new Set(rows.map((r) => r.canaryErrorRate))].sort((a, b) => a - b);
    const policies = [...new Set(rows.map((r) => r.policy))];
    const stable = rows[0]?.stableErrorRate ?? 0;
    // One cell: policy name (44px), bar (100px), "share time" (66px).
    const nameW = 44;
    const barW = 100;
    const cellW = nameW + barW + 76;
    const barH = 13;
    const cellH = policies.length * (barH + 3) + 14;
    const left = 120;
    const top = 84;
    const blockH = 44 + rates.length * cellH;
    const width = left + rpsList.length * cellW + 10;
    const height = top + blocks.length * blockH + 30;
    const out: string[] = [];
    out.push(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
            `font-family="Helvetica, Arial, sans-serif" font-size="11">`,
        `<rect width="100%" height="100%" fill="white"/>`,
        `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    );
    const legend = [
        ["#2e9e44", "right verdict (healthy promoted, bad rolled back)"],
        ["#d62f2f", "wrong verdict (healthy rolled back, bad promoted)"],
        ["#b9b9b9", "inconclusive (limit or deadline)"],
    ];
    legend.forEach(([color, text], i) => {
        const x = 10 + i * 300;
        out.push(`<rect x="${x}" y="34" width="12" height="12" fill="${color}"/>`);
        out.push(`<text x="${x + 16}" y="44">${esc(text)}</text>`);
    });
    out.push(
        `<text x="10" y="62" fill="#444">One bar per policy (${policies.map((p) => POLICY_LABEL[p] ?? p).join(", ")});` +
            ` right of it: share of right verdicts and their median time (rollback for a bad canary,` +
            ` promotion for a healthy one).</text>`,
    );
    blocks.forEach((block, b) => {
        const [scrape, model] = block.split("|");
        const y0 = top + b * blockH;
        out.push(
            `<text x="10" y="${y0 + 12}" font-weight="bold" font-size="12">` +
                `${esc(`Prometheus scraping every ${scrape}s; ${MODEL_LABEL[model] ?? model}`)}</text>`,
        );
        rpsList.forEach((rps, c) => {
            out.push(
                `<text x="${left + c * cellW + nameW + barW / 2}" y="${y0 + 30}" text-anchor="middle" ` +
                    `font-weight="bold">${rps} req/s</text>`,
            );
        });
        rates.forEach((rate, r) => {
            const yr = y0 + 44 + r * cellH;
            const bad = rate > stable;
            out.push(
                `<line x1="10" x2="${width - 10}" y1="${yr - 4}" y2="${yr - 4}" stroke="#ddd"/>`,
                `<text x="10" y="${yr + cellH / 2 - 6}" font-weight="bold">canary ${+(rate * 100).toFixed(1)}%</text>`,
                `<text x="10" y="${yr + cellH / 2 + 8}" fill="#555">${bad ? "bad" : "healthy"} ` +
                    `(stable ${+(stable * 100).toFixed(1)}%)</text>`,
            );
            rpsList.forEach((rps, c) => {
                const x = left + c * cellW;
                policies.forEach((policy, p) => {
                    const row = rows.find(
                        (q) =>
                            q.rps === rps &&
                            q.canaryErrorRate === rate &&
                            `${q.scrapeSeconds}|${q.errorModel}` === block &&
                            q.policy === policy,
                    );
                    if (!row) {
                        return;
                    }
                    const right = bad ? row.rolledBackRate : row.promotedRate;
                    const wrong = bad ? row.promotedRate : row.rolledBackRate;
                    const y = yr + p * (barH + 3);
                    out.push(
                        `<text x="${x + nameW - 4}" y="${y + barH - 3}" text-anchor="end" fill="#333" ` +
                            `font-size="10">${POLICY_LABEL[policy] ?? policy}</text>`,
                        `<rect x="${x + nameW}" y="${y}" width="${barW}" height="${barH}" fill="none" stroke="#eee"/>`,
                    );
                    let bx = x + nameW;
                    for (const [frac, color] of [
                        [right, "#2e9e44"],
                        [wrong, "#d62f2f"],
                        [row.inconclusiveRate, "#b9b9b9"],
                    ] as [number, string][]) {
                        const w = frac * barW;
                        if (w > 0) {
                            out.push(
                                `<rect x="${bx.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" ` +
                                    `height="${barH}" fill="${color}"/>`,
                            );
                        }
                        bx += w;
                    }
                    const t = bad ? row.rollbackSeconds.median : row.promoteSeconds.median;
                    out.push(
                        `<text x="${x + nameW + barW + 4}" y="${y + barH - 3}" font-size="10" fill="#222">` +
                            `${share(right)}${right > 0 ? ` ${time(t)}` : ""}</text>`,
                    );
                });
            });
        });
    });
    out.push("</svg>");
    return out.join("\n") + "\n";
}
