import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuth, CurrentUser, Roles } from '../../common/auth/decorators';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { SuccessResponseDto } from '../../common/openapi/success-response.dto';
import type { Principal } from '../../common/auth/principal';
import { ValidationError } from '../../common/errors/app-error';
import { PageQuery } from '../../common/pagination/pagination';
import { ApiKeysService } from './api-keys.service';
import {
  CreatedUserResponseDto,
  CreateUserDto,
  UpdateUserDto,
  UserListDto,
  UserResponseDto,
} from './auth.dto';
import { toUserView, UsersService } from './users.service';

/** Admin-only user management. */
@ApiTags('users')
@ApiAuth()
@ApiProblemResponses([403, 'The caller is not an admin (`forbidden`)'], 400)
@Roles('admin')
@Controller('api/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List users (paginated)' })
  @ApiOkResponse({ type: UserListDto })
  async list(@Query() query: PageQuery) {
    const page = await this.users.list(query);
    return { users: page.items.map(toUserView), pagination: page.pagination };
  }

  @Post()
  @ApiOperation({ summary: 'Create a user; an API key is generated for them and returned once (seeds)' })
  @ApiCreatedResponse({ type: CreatedUserResponseDto })
  @ApiProblemResponses([409, 'A user with this email exists (`email_taken`)'])
  async create(@Body() dto: CreateUserDto) {
    const user = await this.users.create(dto);
    const key = await this.apiKeys.create(user.id, 'default');
    return { ...toUserView(user), apiKey: key.key };
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a user (role, active flag, password, names)' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiProblemResponses(
    [400, 'Validation failed, or an admin deactivating or demoting themselves (`validation_failed`)'],
    [404, 'No such user'],
    [409, 'Another user has this email (`email_taken`)'],
  )
  async update(
    @CurrentUser() me: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateUserDto,
  ) {
    if (id === me.userId && (dto.isActive === false || (dto.role && dto.role !== 'admin'))) {
      throw new ValidationError('An admin cannot deactivate or demote themselves', [
        { field: 'id', message: 'is the caller' },
      ]);
    }
    return toUserView(await this.users.update(id, dto));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a user and everything they own' })
  @ApiOkResponse({ type: SuccessResponseDto })
  @ApiProblemResponses(
    [400, '`id` is not a UUID, or an admin deleting themselves (`validation_failed`)'],
    [404, 'No such user'],
  )
  async remove(@CurrentUser() me: Principal, @Param('id', ParseUUIDPipe) id: string) {
    if (id === me.userId)
      throw new ValidationError('An admin cannot delete themselves', [
        { field: 'id', message: 'is the caller' },
      ]);
    await this.users.remove(id);
    return { success: true, message: `User ${id} deleted` };
  }
}
