// Checking user input, pure: a Checker records every problem as a path and a message and always
// returns a usable value, so one pass reports everything at once. The rollout spec (spec.ts) and
// the config layer (components/config/) both check with it; the config layer only prefixes the
// paths with the project's namespace.

/** One problem with one field, named by its path as the user wrote it, e.g. `rollout.deadline`. */
export interface Problem {
    path: string;
    message: string;
}

export type Raw = Record<string, unknown>;

/** Longest value echoed in a message: a 100,000-character value is cut, not repeated. */
export const MAX_SHOWN_CHARS = 80;

/** A value as a message shows it: JSON, cut to 80 characters; NaN and Infinity by name. */
export function show(v: unknown): string {
    if (v === undefined) {
        return "nothing";
    }
    if (typeof v === "number" && !Number.isFinite(v)) {
        return String(v);
    }
    return cut(JSON.stringify(v) ?? String(v), MAX_SHOWN_CHARS);
}

/** Text cut to `max` characters, saying how long it was: "abc... (1234 characters)". */
export function cut(text: string, max: number): string {
    return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** "30s", "1m", "1.5h", "250ms" or a number of seconds. Returns undefined when malformed. */
export function parseDurationSeconds(value: unknown): number | undefined {
    if (typeof value === "number") {
        return Number.isFinite(value) && value >= 0 ? value : undefined;
    }
    if (typeof value !== "string") {
        return undefined;
    }
    const m = DURATION.exec(value.trim());
    return m ? Number(m[1]) * UNIT_SECONDS[m[2]] : undefined;
}

/** Seconds as a person writes them: 90 -> "90s", 3600 -> "1h". */
export function formatSeconds(seconds: number): string {
    if (seconds >= 3600 && seconds % 3600 === 0) {
        return `${seconds / 3600}h`;
    }
    if (seconds >= 60 && seconds % 60 === 0) {
        return `${seconds / 60}m`;
    }
    return `${seconds}s`;
}

/** A pattern a string must match, and the fix shown when it does not. */
export interface Pattern {
    re: RegExp;
    fix: string;
}

export class Checker {
    readonly problems: Problem[] = [];

    fail(path: string, message: string): void {
        this.problems.push({ path, message });
    }

    /** An object with only the allowed keys; anything else is reported by name. */
    object(path: string, value: unknown, allowed: readonly string[]): Raw {
        if (value === undefined || value === null) {
            return {};
        }
        if (typeof value !== "object" || Array.isArray(value)) {
            this.fail(
                path,
                `must be an object with the keys ${allowed.join(", ")}, got ${show(value)}`,
            );
            return {};
        }
        for (const k of Object.keys(value)) {
            if (!allowed.includes(k)) {
                this.fail(
                    `${path}.${k}`,
                    `is not a known key; known keys are ${allowed.join(", ")}`,
                );
            }
        }
        return value as Raw;
    }

    string(path: string, value: unknown, fallback: string, check?: Pattern): string {
        if (value === undefined || value === null) {
            return fallback;
        }
        if (typeof value !== "string") {
            this.fail(path, `must be a string, got ${show(value)}`);
            return fallback;
        }
        if (value.trim() === "") {
            this.fail(
                path,
                `must not be empty; ${check?.fix ?? (fallback ? `remove it to use the default "${fallback}"` : "remove the key to leave it unset")}`,
            );
            return fallback;
        }
        if (check && !check.re.test(value)) {
            this.fail(path, `${show(value)} is not valid: ${check.fix}`);
        }
        return value;
    }

    optionalString(path: string, value: unknown, check?: Pattern): string | undefined {
        return value === undefined || value === null
            ? undefined
            : this.string(path, value, "", check);
    }

    integer(
        path: string,
        value: unknown,
        fallback: number,
        min: number,
        max: number,
        unit: string,
    ): number {
        if (value === undefined || value === null) {
            return fallback;
        }
        if (typeof value !== "number" || !Number.isInteger(value)) {
            this.fail(path, `must be a whole number of ${unit}, got ${show(value)}`);
            return fallback;
        }
        if (value < min || value > max) {
            this.fail(path, `must be between ${min} and ${max} ${unit}, got ${value}`);
            return fallback;
        }
        return value;
    }

    /** A finite number strictly inside (min, max). */
    number(path: string, value: unknown, fallback: number, min: number, max: number): number {
        if (value === undefined || value === null) {
            return fallback;
        }
        if (typeof value !== "number" || !Number.isFinite(value) || value <= min || value >= max) {
            this.fail(
                path,
                `must be a number greater than ${min} and less than ${max}, got ${show(value)}`,
            );
            return fallback;
        }
        return value;
    }

    boolean(path: string, value: unknown, fallback: boolean): boolean {
        if (value === undefined || value === null) {
            return fallback;
        }
        if (typeof value !== "boolean") {
            this.fail(path, `must be true or false, got ${show(value)}`);
            return fallback;
        }
        return value;
    }

    /**
     * A number of seconds already parsed (the spec's normalized form), within [min, max];
     * `whyMax` says why the upper bound exists.
     */
    seconds(
        path: string,
        value: unknown,
        fallback: number,
        min: number,
        max: number,
        whyMax = "a rollout holds pulumi up and the stack's lock while it runs",
    ): number {
        if (typeof value !== "number" || !Number.isFinite(value)) {
            this.fail(path, `must be a number of seconds, got ${show(value)}`);
            return fallback;
        }
        if (value < min || value > max) {
            this.fail(
                path,
                value < min
                    ? `must be at least ${formatSeconds(min)}, got ${formatSeconds(value)}`
                    : `must be at most ${formatSeconds(max)}, got ${formatSeconds(value)}; ${whyMax}`,
            );
            return fallback;
        }
        return value;
    }

    /** A duration ("30s", "5m", "1h" or seconds) in seconds, within [min, max]. */
    duration(
        path: string,
        value: unknown,
        fallback: string,
        min: number,
        max: number,
        whyMax?: string,
    ): number {
        const usable = parseDurationSeconds(fallback)!;
        const seconds = this.durationSyntax(path, value, fallback);
        return seconds === undefined
            ? usable
            : this.seconds(path, seconds, usable, min, max, whyMax);
    }

    /** A duration's seconds (`fallback` when unset), or undefined, reported, when malformed. */
    durationSyntax(path: string, value: unknown, fallback: string): number | undefined {
        const seconds = parseDurationSeconds(value ?? fallback);
        if (seconds === undefined) {
            this.fail(
                path,
                `must be a duration such as "30s", "5m" or "1h" (or a number of seconds), got ${show(value)}`,
            );
        }
        return seconds;
    }
}
