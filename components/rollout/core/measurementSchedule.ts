// When the engine takes each metric's measurements: from the canary's first traffic, after the
// metric's initial delay, then every interval; sooner when the metric asks
// (Metric.nextReadingSeconds), except a measurement due when an analysis step starts, which that
// step takes. Times are the injected clock's (ms). Pure.
import { Metric } from "./types";

export class MeasurementSchedule {
    /** When each metric's next measurement is taken; none before the canary's first traffic. */
    private readonly nextAt = new Map<Metric, number>();
    /** When it is due by the metric's interval; nextAt may be sooner. */
    private readonly dueAt = new Map<Metric, number>();
    private trafficStart = 0;
    /** Measurements due from this time on, in an analysis step, are not taken sooner. */
    private holdFrom?: number;

    constructor(private readonly metrics: Metric[]) {}

    /** The canary got its first traffic at `now`. */
    start(now: number): void {
        this.trafficStart = now;
        for (const m of this.metrics) {
            this.nextAt.set(m, now + m.initialDelaySeconds * 1000);
            this.dueAt.set(m, this.nextAt.get(m)!);
        }
    }

    /** Measurements due from `from` on are taken when due, not sooner (undefined: none held). */
    hold(from: number | undefined): void {
        this.holdFrom = from;
    }

    /** The metrics whose measurement is to be taken at `now`. */
    due(now: number): Metric[] {
        return this.metrics.filter((m) => (this.nextAt.get(m) ?? Infinity) <= now);
    }

    /** When the next measurement is to be taken (Infinity: none is scheduled). */
    next(): number {
        return Math.min(...this.metrics.map((m) => this.nextAt.get(m) ?? Infinity));
    }

    /**
     * `metric` was measured, ending at `now`: its next is due one interval after this one was due
     * (or now), and taken sooner when the metric asks, unless held for an analysis step.
     */
    measured(metric: Metric, now: number): void {
        const due = Math.max(this.dueAt.get(metric)! + metric.intervalSeconds * 1000, now);
        this.dueAt.set(metric, due);
        const start = this.trafficStart;
        const held = !metric.nextReadingSeconds || due >= (this.holdFrom ?? Infinity);
        const asked = held ? due : start + metric.nextReadingSeconds!((due - start) / 1000) * 1000;
        this.nextAt.set(metric, Math.max(now, Number.isFinite(asked) ? Math.min(due, asked) : due));
    }
}
