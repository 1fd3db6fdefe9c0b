import { Construct } from 'constructs';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { IGrantable } from '../iam';
import { CustomRole } from '../security/custom-role';

/**
 * What calling a Google publisher model on Vertex AI needs: `PredictionService.Predict`
 * (embeddings) and `GenerateContent` (Gemini) on `projects/…/locations/…/publishers/google/models/…`
 * both check `aiplatform.endpoints.predict` ("Make prompt requests" in Google's generative AI
 * access-control page). A publisher model is no resource of the project that IAM can be set on,
 * so the grant is on the project.
 */
export const MODEL_USER_PERMISSIONS: readonly string[] = Object.freeze(['aiplatform.endpoints.predict']);

export interface VertexModelsOptions {
  /** Project the models are called in (the runtime's `GOOGLE_CLOUD_PROJECT`). */
  readonly project: string;
  /** Prefix of the custom role's id (an environment's prefix). @default - none */
  readonly prefix?: string;
}

const ROLE_CONSTRUCT_ID = 'vertex-model-user-role';

/**
 * Lets `grantee` call Google's publisher models on Vertex AI (embeddings, Gemini) in `project`,
 * through one custom role per stack holding only `aiplatform.endpoints.predict`. Granting it
 * again (for embeddings and for Gemini) is a no-op.
 */
export function grantModelUse(scope: Construct, options: VertexModelsOptions, grantee: IGrantable): ProjectIamMember {
  const role = CustomRole.once(scope, ROLE_CONSTRUCT_ID, (stack) =>
    new CustomRole(stack, ROLE_CONSTRUCT_ID, {
      project: options.project,
      roleId: `${options.prefix ? `${options.prefix}_` : ''}vertex_model_user`,
      title: 'Vertex AI publisher model user',
      description: 'Call Google publisher models (embeddings, Gemini): aiplatform.endpoints.predict only',
      permissions: MODEL_USER_PERMISSIONS,
    }),
  );
  return role.grant(grantee);
}
