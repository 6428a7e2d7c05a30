import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyFailure } from '../../src/activities/failure-classification.js';
import { FailureType } from '../../src/domain/failure-types.js';

// Real messages from helm 3, kubectl and libpq, mapped to what the workflow must do.
const table: Array<[string, string, boolean]> = [
  ['Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress', FailureType.ReleaseBusy, true],
  ['Error: UPGRADE FAILED: context deadline exceeded', FailureType.RolloutTimeout, false],
  ['error: timed out waiting for the condition on jobs/soctalk-system-alembic-upgrade', FailureType.RolloutTimeout, false],
  ['Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:6443/version": dial tcp 127.0.0.1:6443: connect: connection refused', FailureType.ClusterUnreachable, true],
  ['The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?', FailureType.ClusterUnreachable, true],
  ['Unable to connect to the server: net/http: TLS handshake timeout', FailureType.ClusterUnreachable, true],
  ['Error from server: etcdserver: leader changed', FailureType.ServerUnavailable, true],
  ['Error from server (ServiceUnavailable): the server is currently unable to handle the request', FailureType.ServerUnavailable, true],
  ['Error from server (InternalError): Internal error occurred: failed calling webhook', FailureType.ServerUnavailable, true],
  ['Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later', FailureType.ServerUnavailable, true],
  ['Error from server (Conflict): Operation cannot be fulfilled on deployments.apps "api": the object has been modified; please apply your changes to the latest version and try again', FailureType.Conflict, true],
  ['Error: INSTALLATION FAILED: chart "soctalk-system" version "9.9.9" not found in https://charts.example repository', FailureType.NotFound, false],
  ['Error: release: not found', FailureType.NotFound, false],
  ['Error from server (NotFound): namespaces "tenant-zeta" not found', FailureType.NotFound, false],
  ['Error: UPGRADE FAILED: YAML parse error on soctalk-system/templates/api.yaml: error converting YAML to JSON: yaml: line 12: did not find expected key', FailureType.InvalidValues, false],
  ['Error: values don\'t meet the specifications of the schema(s) in the following chart(s):\nsoctalk-system:\n- image.tag: Invalid type', FailureType.InvalidValues, false],
  ['Error from server (Forbidden): jobs.batch is forbidden: User "system:serviceaccount:ops:runner" cannot create resource "jobs" in API group "batch"', FailureType.Forbidden, false],
  ['error: You must be logged in to the server (Unauthorized)', FailureType.Forbidden, false],
  ['The Job "soctalk-system-alembic-upgrade" is invalid: spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable', FailureType.ImmutableField, false],
  ['pg_dump: error: connection to server at "127.0.0.1", port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?', FailureType.DatabaseUnreachable, true],
  ['psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: No such file or directory', FailureType.DatabaseUnreachable, true],
  ['pg_restore: error: connection to server at "db" (10.0.0.5), port 5432 failed: FATAL:  the database system is starting up', FailureType.DatabaseUnreachable, true],
  ['pg_dump: error: query failed: server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally', FailureType.DatabaseUnreachable, true],
  ['psql: error: could not translate host name "soctalk-postgres" to address: Name or service not known', FailureType.DatabaseUnreachable, true],
  ['pg_dump: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "soctalk"', FailureType.Forbidden, false],
  ['something nobody has seen before', FailureType.CommandFailed, true],
];

describe('classifyFailure', () => {
  for (const [output, type, retryable] of table) {
    it(`${type} <- ${output.slice(0, 70)}`, () => {
      assert.deepEqual(classifyFailure({ exitCode: 1, output, timedOut: false }), { type, retryable });
    });
  }

  it('a timeout wins over whatever the output says', () => {
    assert.deepEqual(classifyFailure({ exitCode: undefined, output: 'release: not found', timedOut: true }), {
      type: FailureType.CommandTimeout,
      retryable: true,
    });
  });
});
