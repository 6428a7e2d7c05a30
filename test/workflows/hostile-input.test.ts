/**
 * Issue 13, "No input value can become an option": every hostile case (test/helpers/
 * hostile-inputs.ts) is refused by the CLI's validation AND by the workflow itself (a run
 * started from a Temporal client or the Web UI skips the CLI), each refusal naming the
 * field, and no activity runs, so no process is started. The counts are printed for the
 * issue note.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../src/activities/index.js';
import { CommandRunner, toolPathsFromEnv } from '../../src/activities/command.js';
import { prepareInput } from '../../src/cli/input.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { findRunbook } from '../../src/runbook-catalog.js';
import { HOSTILE_CASES, HOSTILE_SETS, type HostileCase } from '../helpers/hostile-inputs.js';
import { useWorkflowTestEnv } from '../helpers/workflow-harness.js';

/** Every activity the worker registers, each recording its call and refusing to do anything. */
function recordingActivities() {
  const calls: string[] = [];
  const names = Object.keys(createActivities({ runner: new CommandRunner({ tools: toolPathsFromEnv({}) }) }));
  const activities = Object.fromEntries(
    names.map((name) => [
      name,
      (): Promise<never> => {
        calls.push(name);
        return Promise.reject(ApplicationFailure.nonRetryable(`activity ${name} ran for a hostile input`));
      },
    ]),
  );
  return { activities, calls, count: names.length };
}

/** The refusal names the field: "field: ..." in the CLI list and in the workflow's message. */
function namesField(message: string, field: string): boolean {
  return message.includes(`${field}: `) || (['__proto__', 'constructor', 'prototype'].includes(field) && message.includes(`"${field}"`));
}

function cliRefusal(c: HostileCase): string {
  try {
    prepareInput(findRunbook(c.runbook), c.input, { identity: 'mallory', ...(c.sets ? { sets: c.sets } : {}) });
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
}

const counts = { cases: HOSTILE_CASES.length + HOSTILE_SETS.length, cliRefused: 0, cliNamed: 0, workflowRuns: 0, workflowRefused: 0, workflowNamed: 0, activitiesCalled: 0 };

after(() => {
  console.log(
    `hostile inputs: ${counts.cases} cases (${HOSTILE_CASES.length} inputs + ${HOSTILE_SETS.length} CLI --set); ` +
      `CLI refused ${counts.cliRefused}, naming the field ${counts.cliNamed}; ` +
      `workflows refused ${counts.workflowRefused}/${counts.workflowRuns}, naming the field ${counts.workflowNamed}; activities called: ${counts.activitiesCalled}`,
  );
});

describe('hostile input through the CLI validation', () => {
  it(`has at least 100 cases over every runbook`, () => {
    assert.ok(counts.cases >= 100, `${counts.cases} cases`);
    assert.deepEqual(new Set(HOSTILE_CASES.map((c) => c.runbook)).size, 7);
  });

  for (const c of [...HOSTILE_CASES, ...HOSTILE_SETS]) {
    it(`${c.runbook}: ${c.title} -> refused naming ${c.field}`, () => {
      const before = Object.getOwnPropertyNames(Object.prototype).length;
      const message = cliRefusal(c);
      assert.notEqual(message, 'accepted', 'the CLI accepted it');
      counts.cliRefused += 1;
      assert.ok(namesField(message, c.field), `the refusal does not name ${c.field}:\n${message}`);
      counts.cliNamed += 1;
      assert.equal(Object.getOwnPropertyNames(Object.prototype).length, before, 'Object.prototype was changed');
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  }
});

describe('hostile input straight into each workflow (no CLI)', () => {
  const t = useWorkflowTestEnv();

  it('every case is refused as InvalidInput naming the field, before any activity runs', async () => {
    const recorder = recordingActivities();
    assert.ok(recorder.count > 30, `${recorder.count} activities registered`);
    const problems: string[] = [];
    await t.withWorker(
      recorder.activities,
      async (taskQueue) => {
        // A few at a time: the test server and the worker share two cores with everything else.
        for (let i = 0; i < HOSTILE_CASES.length; i += 8) {
          await Promise.all(
            HOSTILE_CASES.slice(i, i + 8).map(async (c, j) => {
              const runbook = findRunbook(c.runbook);
              const handle = await t.env.client.workflow.start(runbook.workflowType, { taskQueue, workflowId: `hostile-${i + j}-${taskQueue}`, args: [c.input] });
              counts.workflowRuns += 1;
              const error = await handle.result().then(
                () => undefined,
                (err: unknown) => err,
              );
              if (!(error instanceof WorkflowFailedError) || !(error.cause instanceof ApplicationFailure)) {
                problems.push(`${c.runbook}: ${c.title}: not refused (${String(error)})`);
                return;
              }
              if (error.cause.type !== FailureType.InvalidInput || error.cause.nonRetryable !== true) {
                problems.push(`${c.runbook}: ${c.title}: ${error.cause.type} instead of a non-retryable InvalidInput: ${error.cause.message}`);
                return;
              }
              counts.workflowRefused += 1;
              if (!namesField(error.cause.message, c.field)) problems.push(`${c.runbook}: ${c.title}: does not name ${c.field}: ${error.cause.message}`);
              else counts.workflowNamed += 1;
            }),
          );
        }
      },
      'hostile',
    );
    counts.activitiesCalled = recorder.calls.length;
    assert.deepEqual(problems, []);
    assert.deepEqual(recorder.calls, [], 'an activity ran for a hostile input');
    assert.equal(counts.workflowRefused, HOSTILE_CASES.length);
  });
});
