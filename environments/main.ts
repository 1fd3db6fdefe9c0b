// The cdktf app (cdktf.json "app"): `npm run synth`, `cdktf synth`, `cdktf deploy orchestra-<env>`.
import { InvalidEnvironmentsError, synthesizeEnvironments } from './app';
import { ENVIRONMENTS } from './index';

try {
  synthesizeEnvironments(ENVIRONMENTS);
} catch (error) {
  if (!(error instanceof InvalidEnvironmentsError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
