import { isGrpcServiceError } from '@temporalio/client';

/** gRPC's NOT_FOUND from Temporal's raw services (workflowService, operatorService), which do not map errors. */
export const isGrpcNotFound = (err: unknown): boolean => isGrpcServiceError(err) && err.code === 5;
