// The chart: one panel per scenario (rows: canary error rate, columns: requests per second; steady
// traffic left, shared error bursts right), one bar per policy showing how its trials ended:
// green = the right verdict (healthy promoted, bad rolled back), red = the wrong one, grey =
// inconclusive (aborted at a limit or the deadline without a verdict), with the median time of
// the right verdict.

export interface ChartRow {
    rps: number;
    stableErrorRate: number;
    canaryErrorRate: number;
    bursty: boolean;
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
    ours: "judge",
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

export function chart(rows: ChartRow[], title: string): string {
    const rpsList = [...new Set(rows.map((r) => r.rps))].sort((a, b) => a - b);
    const rates = [...new Set(rows.map((r) => r.canaryErrorRate))].sort((a, b) => a - b);
    const policies = [...new Set(rows.map((r) => r.policy))];
    const cellW = 150;
    const barH = 13;
    const cellH = policies.length * (barH + 3) + 16;
    const left = 110;
    const top = 86;
    const blockGap = 40;
    const blockW = rpsList.length * cellW;
    const width = left + 2 * blockW + blockGap + 20;
    const height = top + rates.length * cellH + 40;
    const barW = 78;
    const out: string[] = [];
    out.push(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
            `font-family="Helvetica, Arial, sans-serif" font-size="11">`,
        `<rect width="100%" height="100%" fill="white"/>`,
        `<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    );
    const legend = [
        ["#2e9e44", "right verdict (healthy promoted / bad rolled back)"],
        ["#d62f2f", "wrong verdict (healthy rolled back / bad promoted)"],
        ["#b9b9b9", "inconclusive (limit or deadline)"],
    ];
    legend.forEach(([color, text], i) => {
        const x = left + i * 280;
        out.push(`<rect x="${x}" y="34" width="12" height="12" fill="${color}"/>`);
        out.push(`<text x="${x + 16}" y="44">${esc(text)}</text>`);
    });
    out.push(
        `<text x="${left}" y="62" fill="#444">bars: ${policies.map((p) => POLICY_LABEL[p] ?? p).join(" / ")}` +
            ` (top to bottom); number: median time to the right verdict</text>`,
    );
    [false, true].forEach((bursty, b) => {
        const x0 = left + b * (blockW + blockGap);
        out.push(
            `<text x="${x0 + blockW / 2}" y="${top - 8}" text-anchor="middle" font-weight="bold">` +
                `${bursty ? "shared error bursts" : "steady errors"}: requests/s</text>`,
        );
        rpsList.forEach((rps, c) => {
            out.push(
                `<text x="${x0 + c * cellW + barW / 2 + 30}" y="${top + 6}" text-anchor="middle">${rps}</text>`,
            );
        });
        rates.forEach((rate, r) => {
            const y0 = top + 14 + r * cellH;
            if (b === 0) {
                const bad = rate > rows[0].stableErrorRate;
                out.push(
                    `<text x="${left - 8}" y="${y0 + cellH / 2 - 4}" text-anchor="end" font-weight="bold">` +
                        `canary ${+(rate * 100).toFixed(1)}%</text>`,
                    `<text x="${left - 8}" y="${y0 + cellH / 2 + 9}" text-anchor="end" fill="#555">` +
                        `${bad ? "bad" : "healthy"}, stable ${+(rows[0].stableErrorRate * 100).toFixed(1)}%</text>`,
                );
            }
            out.push(
                `<line x1="${x0}" x2="${x0 + blockW - 6}" y1="${y0 - 3}" y2="${y0 - 3}" stroke="#ddd"/>`,
            );
            rpsList.forEach((rps, c) => {
                const x = x0 + c * cellW;
                policies.forEach((policy, p) => {
                    const row = rows.find(
                        (q) =>
                            q.rps === rps &&
                            q.canaryErrorRate === rate &&
                            q.bursty === bursty &&
                            q.policy === policy,
                    );
                    if (!row) {
                        return;
                    }
                    const bad = row.canaryErrorRate > row.stableErrorRate;
                    const right = bad ? row.rolledBackRate : row.promotedRate;
                    const wrong = bad ? row.promotedRate : row.rolledBackRate;
                    const y = y0 + p * (barH + 3);
                    out.push(
                        `<text x="${x + 26}" y="${y + barH - 3}" text-anchor="end" fill="#333" font-size="9">` +
                            `${POLICY_LABEL[policy] ?? policy}</text>`,
                    );
                    let bx = x + 30;
                    for (const [frac, color] of [
                        [right, "#2e9e44"],
                        [wrong, "#d62f2f"],
                        [row.inconclusiveRate, "#b9b9b9"],
                    ] as [number, string][]) {
                        const w = frac * barW;
                        if (w > 0) {
                            out.push(
                                `<rect x="${bx.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"/>`,
                            );
                        }
                        bx += w;
                    }
                    const t = bad ? row.rollbackSeconds.median : row.promoteSeconds.median;
                    const pctRight = Math.round(right * 100);
                    out.push(
                        `<text x="${x + 30 + barW + 3}" y="${y + barH - 3}" font-size="9" fill="#222">` +
                            `${pctRight}% ${right > 0 ? time(t) : ""}</text>`,
                    );
                });
            });
        });
    });
    out.push("</svg>");
    return out.join("\n") + "\n";
}
