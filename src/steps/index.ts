/** The built-in step kinds, registered explicitly. */
import { StepRegistry } from '../engine/registry.js';
import { checkPermissions } from './check-permissions.js';
import { checkReplicationLag } from './check-replication-lag.js';
import { checkStreamsDrained } from './check-streams-drained.js';
import { checkTargetGroups } from './check-target-groups.js';
import { confirmScope } from './confirm-scope.js';
import { estimateDataLoss } from './estimate-data-loss.js';
import { execStep, manualApproval, redirectStep } from './exec.js';
import { freezeWrites } from './freeze-writes.js';
import { resetConsumerGroups } from './reset-consumer-groups.js';
import { setReplicationStart } from './set-replication-start.js';
import { startReplication } from './start-replication.js';
import { checkIsr, checkReplicaPlacement, electPreferredLeaders, waitIsrComplete } from './stretch-isr.js';
import { lowerMinIsr, restoreMinIsr } from './stretch-min-isr.js';
import { checkQuorum, confirmSiteLoss } from './stretch-site.js';
import { stopReplication } from './stop-replication.js';
import { translateBack } from './translate-back.js';
import { translateMove } from './translate-move.js';
import { translateOffsetsStep } from './translate-offsets.js';
import { validateStep } from './validate.js';

/** A registry with every built-in step kind. */
export function builtinRegistry(): StepRegistry {
  return new StepRegistry()
    .register(checkPermissions)
    .register(confirmScope)
    .register(checkTargetGroups)
    .register(freezeWrites)
    .register(checkReplicationLag)
    .register(checkStreamsDrained)
    .register(estimateDataLoss)
    .register(stopReplication)
    .register(startReplication)
    .register(setReplicationStart)
    .register(translateBack)
    .register(translateMove)
    .register(translateOffsetsStep)
    .register(resetConsumerGroups)
    .register(redirectStep)
    .register(validateStep)
    .register(manualApproval)
    .register(execStep)
    .register(confirmSiteLoss)
    .register(checkQuorum)
    .register(checkIsr)
    .register(checkReplicaPlacement)
    .register(lowerMinIsr)
    .register(restoreMinIsr)
    .register(waitIsrComplete)
    .register(electPreferredLeaders);
}
