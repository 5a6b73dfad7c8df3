import { Field, ObjectType } from '@nestjs/graphql';

/** What `login` answers. */
@ObjectType('LoginResult')
export class LoginResult {
  @Field(() => String)
  userId!: string;
}

/** What `me` answers: the signed-in user and this session's public handle (never its id). */
@ObjectType('Me')
export class Me {
  @Field(() => String)
  userId!: string;

  @Field(() => String)
  handle!: string;
}
