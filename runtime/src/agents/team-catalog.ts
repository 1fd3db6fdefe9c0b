import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TeamConfigError } from './errors';
import { AgentTeam, type TeamDeps, type TeamOptions } from './team';
import { loadTeamConfig } from './team-config';

/** The teams a service answers for, by id. */
export class TeamCatalog {
  private readonly teams = new Map<string, AgentTeam>();

  /** Throws `TeamConfigError` at path `id` when two teams share an id. */
  constructor(teams: Iterable<AgentTeam>) {
    for (const team of teams) {
      const other = this.teams.get(team.id);
      if (other) throw new TeamConfigError([{ path: 'id', message: `an id no other team has ("${team.id}" is also ${other.source ?? 'another team'}'s)` }], team.source);
      this.teams.set(team.id, team);
    }
  }

  get(id: string): AgentTeam | undefined {
    return this.teams.get(id);
  }

  /** Closes every team's agents' connections (MCP servers). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.teams.values()].map((t) => t.close()));
  }

  /** Every team, in the order given (for `loadTeams`, by file name). */
  list(): AgentTeam[] {
    return [...this.teams.values()];
  }
}

/**
 * Builds a team from every `.yaml`, `.yml` and `.json` file directly in `dir`, in file name
 * order. The first bad file fails the whole load (a service should not start with half its
 * teams); its error names the file.
 */
export async function loadTeams(dir: string, deps: TeamDeps, options: Pick<TeamOptions, 'clock'> = {}): Promise<TeamCatalog> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && /\.(ya?ml|json)$/i.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
  const teams: AgentTeam[] = [];
  try {
    for (const file of files) teams.push(await AgentTeam.create(await loadTeamConfig(file), deps, { ...options, source: file }));
    return new TeamCatalog(teams);
  } catch (error) {
    await Promise.allSettled(teams.map((t) => t.close()));
    throw error;
  }
}
