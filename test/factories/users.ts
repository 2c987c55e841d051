import { UsersService } from '../../src/auth/users.service';
import { TestApp } from '../support/test-app';

export interface TestUser {
  id: string;
  username: string;
  key: string;
}

let counter = 0;

/** A user with one API key, made through the service's own UsersService. */
export async function createUser(
  testApp: TestApp,
  username = `user${++counter}`,
): Promise<TestUser> {
  const { user, apiKey } = await testApp.app.get(UsersService).create(username);
  return { id: user.id, username, key: apiKey.plainKey };
}
