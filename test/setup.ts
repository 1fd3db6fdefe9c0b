import { Testing } from 'cdktf';

// Adds cdktf's matchers (toHaveResource, toHaveResourceWithProperties, …) to expect; their
// types come from test/jest-matchers.d.ts.
Testing.setupJest();
