// A guard's last look before promotion. Pure.
//
// A guard promotes when the steps end, whatever its roll-back statistic is short of its bound by.
// A canary whose evidence is well on its way to a rollback when the analysis step comes (1% ->
// 5% at 30s scrapes has had eight readings by 240s) is then promoted on a scrape or two of luck.
// So in an analysis step a guard whose roll-back statistic is past half its bound in log terms
// (an e-value of 1/sqrt(alpha)) holds promotion for at most HOLD_READINGS readings, and the
// deadline. Under the null (a canary within the tolerance, independent errors) Ville's inequality
// bounds the chance that the statistic ever gets there by about sqrt(alpha) (7% for 0.005): few
// healthy canaries wait, and none for more than HOLD_READINGS readings. The held readings are
// readings of the same e-process, which holds at every scrape however many, so the false-rollback
// bound is the same.
import { fmt } from "../analysis";

/** Most readings a guard holds promotion for in one run. */
export const HOLD_READINGS = 2;

/** Whether a guard holds promotion at a reading, having held `held` readings so far this run. */
export function holdsPromotion(
    rejectLogE: number,
    rejectAbove: number,
    held: number,
    analysis: boolean,
): boolean {
    return analysis && held < HOLD_READINGS && rejectLogE >= rejectAbove / 2;
}

/** The reason of a held reading, the `held`-th of the run. */
export function holdReason(rejectLogE: number, rejectAbove: number, held: number): string {
    const two = (x: number) => fmt(Number(x.toFixed(2)));
    const chance = fmt(Number(Math.exp(-rejectAbove / 2).toPrecision(2)));
    return (
        `roll-back ln e ${two(rejectLogE)} >= ${two(rejectAbove / 2)}, half its bound ` +
        `${two(rejectAbove)} (a canary within the tolerance gets this far with probability ` +
        `<= ${chance}): promotion held for reading ${held} of at most ${HOLD_READINGS}`
    );
}
