import { ObjectType } from 'type-graphql';
import { Connection } from '../common/pagination';
import { User } from '../users/user.entity';

@ObjectType({ description: 'A page of users, newest first.' })
export class UserConnection extends Connection(User) {}
