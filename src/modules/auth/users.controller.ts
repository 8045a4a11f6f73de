import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiForbiddenResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuth, CurrentUser, Roles } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { ValidationError } from '../../common/errors/app-error';
import { PageQuery } from '../../common/pagination/pagination';
import { ApiKeysService } from './api-keys.service';
import { CreateUserDto, UpdateUserDto, UserResponseDto } from './auth.dto';
import { toUserView, UsersService } from './users.service';

/** Admin-only user management. */
@ApiTags('users')
@ApiAuth()
@ApiForbiddenResponse({ description: 'Caller is not an admin' })
@Roles('admin')
@Controller('api/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List users (paginated)' })
  async list(@Query() query: PageQuery) {
    const page = await this.users.list(query);
    return { users: page.items.map(toUserView), pagination: page.pagination };
  }

  @Post()
  @ApiOperation({ summary: 'Create a user; an API key is generated for them and returned once (seeds)' })
  @ApiCreatedResponse({ type: UserResponseDto })
  async create(@Body() dto: CreateUserDto) {
    const user = await this.users.create(dto);
    const key = await this.apiKeys.create(user.id, 'default');
    return { ...toUserView(user), apiKey: key.key };
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a user (role, active flag, password, names)' })
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
  async remove(@CurrentUser() me: Principal, @Param('id', ParseUUIDPipe) id: string) {
    if (id === me.userId)
      throw new ValidationError('An admin cannot delete themselves', [
        { field: 'id', message: 'is the caller' },
      ]);
    await this.users.remove(id);
    return { success: true, message: `User ${id} deleted` };
  }
}
