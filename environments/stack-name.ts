/** The stack id of an environment: what `cdktf deploy` takes. */
export function stackName(environment: string): string {
  return `orchestra-${environment}`;
}
